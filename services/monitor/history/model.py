"""The assessment model (绩效考核): which indicators count, with what weight, against what target;
loaded from a TOML file (``assessment.toml`` beside this module unless
``EGOV_ASSESSMENT_MODEL_FILE`` names another), and the periods it is computed for."""

from __future__ import annotations

import re
import tomllib
from datetime import date, timedelta
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

DEFAULT_MODEL = Path(__file__).with_name("assessment.toml")


class Indicator(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(description="one of the indicators in assess.INDICATORS")
    name: str = Field(description="as printed in the bulletin")
    weight: float = Field(gt=0, description="points of 100, before normalising")
    target: float = Field(ge=0, description="the value that earns the whole weight")
    better: Literal["higher", "lower"] = "higher"
    span: float | None = Field(
        None,
        gt=0,
        description="lower is better: past the target the points fall linearly to zero over "
        "this much more (default: the target itself, or 1 when the target is 0)",
    )


class AssessmentModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    period: Literal["month", "quarter", "half", "year"] = "quarter"
    digital_channels: tuple[str, ...] = ("web", "app")
    completed_decisions: tuple[str, ...] = ("approved", "denied")
    satisfied_levels: tuple[str, ...] = ("very_satisfied", "satisfied", "basically_satisfied")
    min_accepted: int = Field(
        1, ge=0, description="a unit with fewer accepted cases is shown but not ranked"
    )
    cost_per_transaction: dict[str, float] = Field(
        default_factory=dict,
        description="yuan per case by channel, where the cost data is known (public statistics)",
    )
    indicators: tuple[Indicator, ...]

    @model_validator(mode="after")
    def _known(self) -> AssessmentModel:
        from services.monitor.history.assess import INDICATORS

        unknown = [i.id for i in self.indicators if i.id not in INDICATORS]
        if unknown:
            raise ValueError(f"unknown indicators {unknown}; known: {sorted(INDICATORS)}")
        if len({i.id for i in self.indicators}) != len(self.indicators):
            raise ValueError("an indicator is listed twice")
        return self


def load_model(path: Path | str | None = None) -> AssessmentModel:
    with open(path or DEFAULT_MODEL, "rb") as f:
        return AssessmentModel.model_validate(tomllib.load(f))


class Period(BaseModel):
    model_config = ConfigDict(frozen=True)

    label: str
    since: date
    until: date = Field(description="inclusive")


_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_HALF = re.compile(r"^(\d{4})-H([12])$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_YEAR = re.compile(r"^(\d{4})$")
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")


def _months(year: int, first: int, count: int) -> tuple[date, date]:
    start = date(year, first, 1)
    end_month = first + count
    end = date(year + (end_month > 12), (end_month - 1) % 12 + 1, 1)
    return start, end - timedelta(days=1)


def parse_period(text: str) -> Period:
    """``2026``, ``2026-H1``, ``2026-Q1``, ``2026-03`` or ``2026-03-01..2026-03-15``."""
    text = text.strip()
    if m := _QUARTER.match(text):
        since, until = _months(int(m[1]), 3 * int(m[2]) - 2, 3)
    elif m := _HALF.match(text):
        since, until = _months(int(m[1]), 6 * int(m[2]) - 5, 6)
    elif (m := _MONTH.match(text)) and 1 <= int(m[2]) <= 12:
        since, until = _months(int(m[1]), int(m[2]), 1)
    elif m := _YEAR.match(text):
        since, until = date(int(m[1]), 1, 1), date(int(m[1]), 12, 31)
    elif m := _RANGE.match(text):
        since, until = date.fromisoformat(m[1]), date.fromisoformat(m[2])
        if until < since:
            raise ValueError(f"period {text!r} ends before it starts")
    else:
        raise ValueError(f"not a period: {text!r} (2026, 2026-H1, 2026-Q1, 2026-03, a..b)")
    return Period(label=text, since=since, until=until)


def last_complete(kind: str, today: date) -> Period:
    """The last whole period of ``kind`` before ``today`` (the default bulletin)."""
    if kind == "month":
        prev = today.replace(day=1) - timedelta(days=1)
        return parse_period(f"{prev.year}-{prev.month:02d}")
    if kind == "year":
        return parse_period(str(today.year - 1))
    size = 3 if kind == "quarter" else 6
    index = (today.month - 1) // size  # the current one; the last whole one is before it
    year, index = (today.year, index) if index else (today.year - 1, 12 // size)
    return parse_period(f"{year}-{'Q' if size == 3 else 'H'}{index}")


def region_prefix(code: str) -> str:
    """The codes a GB/T 2260 region covers, as a prefix: a province (``500000``) its every
    city and county (``50``), a city (``510100``) its counties (``5101``), a county itself."""
    if code.endswith("0000"):
        return code[:2]
    if code.endswith("00"):
        return code[:4]
    return code


def covers(scope: str, region: str) -> bool:
    return region.startswith(region_prefix(scope))


def split_period(since: date, until: date) -> tuple[list[str], list[tuple[date, date]]]:
    """The whole months inside [since, until] (``2026-03``), and the day ranges left at its
    edges: a period is read from monthly rollups where it can, daily ones where it must."""
    months: list[str] = []
    edges: list[tuple[date, date]] = []
    day = since
    while day <= until:
        month_end = _months(day.year, day.month, 1)[1]
        if day.day == 1 and month_end <= until:
            months.append(f"{day.year}-{day.month:02d}")
        else:
            end = min(month_end, until)
            if edges and edges[-1][1] + timedelta(days=1) == day:
                edges[-1] = (edges[-1][0], end)
            else:
                edges.append((day, end))
        day = month_end + timedelta(days=1)
    return months, edges


# Quarter rollups are read only for the quarters they are known to be complete from (the
# history's marker, store.py); an earlier quarter is read from its months.
EVERY_QUARTER = "0000-Q1"


def quarter_of(month: str) -> str:
    """``2026-03`` (or a day ``2026-03-15``) -> ``2026-Q1``."""
    return f"{month[:4]}-Q{(int(month[5:7]) - 1) // 3 + 1}"


def next_quarter(quarter: str) -> str:
    year, q = int(quarter[:4]), int(quarter[-1])
    return f"{year + q // 4:04d}-Q{q % 4 + 1}"


def split_quarters(months: list[str], complete_from: str | None) -> tuple[list[str], list[str]]:
    """The whole quarters among ``months`` whose quarter rollups are complete (from
    ``complete_from`` on; None: none is), and the months left to read month by month."""
    if complete_from is None:
        return [], months
    by_quarter: dict[str, list[str]] = {}
    for month in months:
        by_quarter.setdefault(quarter_of(month), []).append(month)
    quarters = [q for q, ms in by_quarter.items() if len(ms) == 3 and q >= complete_from]
    return quarters, [m for m in months if quarter_of(m) not in quarters]


# Dekad rollups (旬: 上旬 days 1-10, 中旬 11-20, 下旬 21 to the month's end, the ten-day period
# of Chinese statistical reports, ``2026-03-X2``) answer the days at a period's edges: at most
# nine days of each dekad are read day by day. Like quarters, from the history's marker on.
EVERY_DEKAD = "0000-01-X1"


def dekad_of(day: str) -> str:
    """``2026-03-15`` -> ``2026-03-X2``."""
    return f"{day[:7]}-X{min((int(day[8:10]) - 1) // 10, 2) + 1}"


def dekad_days(dekad: str) -> tuple[date, date]:
    """The first and last day of a dekad."""
    year, month, n = int(dekad[:4]), int(dekad[5:7]), int(dekad[-1])
    first = date(year, month, 10 * n - 9)
    return first, (first + timedelta(days=9) if n < 3 else _months(year, month, 1)[1])


def next_dekad(dekad: str) -> str:
    return dekad_of((dekad_days(dekad)[1] + timedelta(days=1)).isoformat())


def split_dekads(
    edges: list[tuple[date, date]], complete_from: str | None
) -> tuple[list[str], list[tuple[date, date]]]:
    """The whole dekads inside the day ranges ``edges`` whose rollups are whole (from
    ``complete_from`` on; None: none is), and the day ranges left to read day by day."""
    if complete_from is None:
        return [], edges
    dekads: list[str] = []
    days: list[tuple[date, date]] = []
    for since, until in edges:
        day = since
        while day <= until:
            dekad = dekad_of(day.isoformat())
            first, last = dekad_days(dekad)
            end = min(last, until)
            if first == day and last <= until and dekad >= complete_from:
                dekads.append(dekad)
            elif days and days[-1][1] + timedelta(days=1) == day:
                days[-1] = (days[-1][0], end)
            else:
                days.append((day, end))
            day = end + timedelta(days=1)
    return dekads, days
