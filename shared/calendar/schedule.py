"""Official holiday schedules (one file a year) and the calendar data built from them.

A schedule is what the State Council's notice says for one year: the days off (weekend days inside
a holiday included) and the weekend days declared working days (调休上班). The packaged files in
``data/`` are the baseline; a schedule published at run time (``egov calendar publish``) adds or
replaces its year.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Self

from pydantic import BaseModel, Field, model_validator


class YearSchedule(BaseModel, frozen=True):
    year: int = Field(ge=1949, le=2200)
    source: str = Field(min_length=1, description="the notice the schedule is taken from")
    published: date | None = Field(None, description="the date the notice was published")
    off: tuple[date, ...]
    extra_working_days: tuple[date, ...] = ()

    @model_validator(mode="after")
    def _check(self) -> Self:
        if not self.source.strip():
            raise ValueError("source: name the notice the schedule is taken from")
        for field, days in (("off", self.off), ("extra_working_days", self.extra_working_days)):
            for d in days:
                if d.year != self.year:
                    raise ValueError(f"{field}: {d} is not in {self.year}")
        for d in self.extra_working_days:
            if d.weekday() < 5:
                raise ValueError(f"extra_working_days: {d} is not a Saturday or Sunday")
        both = sorted(set(self.off) & set(self.extra_working_days))
        if both:
            raise ValueError(f"{both[0]} is listed both as off and as a working day")
        return self


class CalendarData(BaseModel, frozen=True):
    years: dict[int, YearSchedule]

    @model_validator(mode="after")
    def _check(self) -> Self:
        if not self.years:
            raise ValueError("the calendar data covers no year")
        for year, schedule in self.years.items():
            if schedule.year != year:
                raise ValueError(f"the schedule of {schedule.year} is filed under {year}")
        return self

    @property
    def version(self) -> str:
        """``<last official year>.<digest>``: the same schedules give the same version anywhere."""
        canonical = json.dumps(
            {str(y): s.model_dump(mode="json") for y, s in sorted(self.years.items())},
            sort_keys=True,
            ensure_ascii=False,
        )
        digest = hashlib.sha256(canonical.encode()).hexdigest()[:8]
        return f"{max(self.years)}.{digest}"

    def with_year(self, schedule: YearSchedule) -> CalendarData:
        return CalendarData(years={**self.years, schedule.year: schedule})


def read_year_file(path: str | Path) -> YearSchedule:
    return YearSchedule.model_validate_json(Path(path).read_text(encoding="utf-8"))


def load_dir(path: str | Path) -> CalendarData:
    """Every ``<year>.json`` schedule in a folder."""
    files = sorted(Path(path).glob("*.json"))
    return CalendarData(years={(s := read_year_file(f)).year: s for f in files})


def packaged_data() -> CalendarData:
    folder = resources.files("shared.calendar").joinpath("data")
    schedules = [
        YearSchedule.model_validate_json(f.read_text(encoding="utf-8"))
        for f in sorted(folder.iterdir(), key=lambda f: f.name)
        if f.name.endswith(".json")
    ]
    return CalendarData(years={s.year: s for s in schedules})
