"""Working-day calendar of the public administration of the PRC, in Asia/Shanghai time.

A working day is Monday-Friday, minus official holidays, plus the weekend days officially declared
working days (调休上班). The State Council publishes each year's schedule in November of the year
before; a year that is not loaded is never guessed unless the caller explicitly opts into the
weekends-only fallback policy.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Self

from pydantic import BaseModel, model_validator

from shared.calendar.limits import Limit, LimitUnit
from shared.clock import SHANGHAI, require_aware

OfficePeriod = tuple[time, time]
DEFAULT_OFFICE_HOURS: tuple[OfficePeriod, ...] = (
    (time(9, 0), time(12, 0)),
    (time(13, 30), time(17, 30)),
)
END_OF_DAY = time(23, 59, 59)
_DAY = timedelta(days=1)
_ZERO = timedelta(0)
_Periods = tuple[tuple[timedelta, timedelta], ...]
_WHOLE_DAY: _Periods = ((_ZERO, _DAY),)


class CalendarCoverageError(ValueError):
    """A computation needs a year whose official schedule is not loaded."""

    def __init__(self, year: int) -> None:
        self.year = year
        super().__init__(
            f"the official holiday schedule for {year} is not loaded; add it to the calendar data "
            "(published by the State Council each November)"
        )


class YearSchedule(BaseModel, frozen=True):
    source: str
    off: tuple[date, ...]
    extra_working_days: tuple[date, ...]


class CalendarData(BaseModel, frozen=True):
    version: str
    description: str = ""
    years: dict[int, YearSchedule]

    @model_validator(mode="after")
    def _check_schedules(self) -> Self:
        if not self.years:
            raise ValueError("the calendar data covers no year")
        for year, schedule in self.years.items():
            for d in (*schedule.off, *schedule.extra_working_days):
                if d.year != year:
                    raise ValueError(f"{d} is listed under {year}")
            for d in schedule.extra_working_days:
                if d.weekday() < 5:
                    raise ValueError(f"extra working day {d} is not a Saturday or Sunday")
            both = sorted(set(schedule.off) & set(schedule.extra_working_days))
            if both:
                raise ValueError(f"{both[0]} is listed both as off and as a working day")
        return self


@dataclass(frozen=True, slots=True)
class _Year:
    working: tuple[int, ...]  # sorted date ordinals
    working_set: frozenset[int]

    @classmethod
    def build(cls, year: int, off: frozenset[date], extra: frozenset[date]) -> _Year:
        first, last = date(year, 1, 1).toordinal(), date(year, 12, 31).toordinal()
        working = tuple(
            o
            for o in range(first, last + 1)
            if (d := date.fromordinal(o)) in extra or (d.weekday() < 5 and d not in off)
        )
        return cls(working, frozenset(working))


def _to_periods(office_hours: tuple[OfficePeriod, ...]) -> _Periods:
    periods = tuple(
        (
            timedelta(hours=s.hour, minutes=s.minute, seconds=s.second),
            timedelta(hours=e.hour, minutes=e.minute, seconds=e.second),
        )
        for s, e in office_hours
    )
    if not periods:
        raise ValueError("office_hours needs at least one period")
    previous_end = _ZERO
    for start, end in periods:
        if not previous_end <= start < end:
            raise ValueError("office_hours periods must be ordered, non-empty and not overlap")
        previous_end = end
    return periods


def _local(dt: datetime) -> datetime:
    return require_aware(dt).astimezone(SHANGHAI)


def _local_date(d: date | datetime) -> date:
    return _local(d).date() if isinstance(d, datetime) else d


def _time_of_day(dt: datetime) -> timedelta:
    return timedelta(
        hours=dt.hour, minutes=dt.minute, seconds=dt.second, microseconds=dt.microsecond
    )


def _at(day: date, offset: timedelta) -> datetime:
    return datetime.combine(day, time(0), tzinfo=SHANGHAI) + offset


class WorkingCalendar:
    def __init__(
        self,
        data: CalendarData,
        *,
        fallback_weekends_only: bool = False,
        office_hours: tuple[OfficePeriod, ...] = DEFAULT_OFFICE_HOURS,
    ) -> None:
        self.data = data
        # Explicit policy: True treats an uncovered year as Monday-Friday working; False refuses.
        self.fallback_weekends_only = fallback_weekends_only
        self.office_hours = office_hours
        self._office = _to_periods(office_hours)
        self._years = {
            year: _Year.build(year, frozenset(s.off), frozenset(s.extra_working_days))
            for year, s in data.years.items()
        }
        self._fallback_years: dict[int, _Year] = {}

    @classmethod
    def from_file(
        cls,
        path: str | Path,
        *,
        fallback_weekends_only: bool = False,
        office_hours: tuple[OfficePeriod, ...] = DEFAULT_OFFICE_HOURS,
    ) -> WorkingCalendar:
        data = CalendarData.model_validate_json(Path(path).read_text(encoding="utf-8"))
        return cls(data, fallback_weekends_only=fallback_weekends_only, office_hours=office_hours)

    @property
    def version(self) -> str:
        return self.data.version

    @property
    def covered_years(self) -> tuple[int, ...]:
        return tuple(sorted(self._years))

    @property
    def office_hours_per_day(self) -> float:
        return sum((end - start for start, end in self._office), _ZERO) / timedelta(hours=1)

    def last_covered_date(self) -> date:
        return date(max(self._years), 12, 31)

    def coverage_days_left(self, today: date) -> int:
        return (self.last_covered_date() - today).days

    def _year(self, year: int) -> _Year:
        table = self._years.get(year)
        if table is not None:
            return table
        if not self.fallback_weekends_only:
            raise CalendarCoverageError(year)
        table = self._fallback_years.get(year)
        if table is None:
            table = self._fallback_years[year] = _Year.build(year, frozenset(), frozenset())
        return table

    def is_working_day(self, d: date) -> bool:
        day = _local_date(d)
        return day.toordinal() in self._year(day.year).working_set

    def add_working_days(self, start: date | datetime, n: int) -> date:
        """The n-th working day after the start date; the start date itself is never counted."""
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        day = _local_date(start)
        if n == 0:
            return day
        ordinal = day.toordinal()
        year = (day + _DAY).year
        remaining = n
        while True:
            working = self._year(year).working
            i = bisect_right(working, ordinal)
            available = len(working) - i
            if remaining <= available:
                return date.fromordinal(working[i + remaining - 1])
            remaining -= available
            year += 1

    def working_days_between(self, d1: date | datetime, d2: date | datetime) -> int:
        """Working days after d1 up to and including d2; 0 when d2 <= d1."""
        first, last = _local_date(d1), _local_date(d2)
        if last <= first:
            return 0
        lo, hi = first.toordinal(), last.toordinal()
        total = 0
        for year in range((first + _DAY).year, last.year + 1):
            working = self._year(year).working
            total += bisect_right(working, hi) - bisect_right(working, lo)
        return total

    def deadline(self, start: datetime, limit: Limit) -> datetime:
        """When a stage opened at ``start`` with ``limit`` is due (Asia/Shanghai)."""
        match limit.unit:
            case LimitUnit.WORKING_DAYS:
                day = self.add_working_days(_local(start), limit.value)
            case LimitUnit.NATURAL_DAYS:
                day = _local(start).date() + timedelta(days=limit.value)
            case LimitUnit.WORKING_HOURS:
                return self.add_working_hours(start, limit.value)
        return datetime.combine(day, END_OF_DAY, tzinfo=SHANGHAI)

    def working_seconds_between(self, a: datetime, b: datetime) -> float:
        """Seconds of [a, b) on working days (all 24 hours of a working day count); 0 if b <= a."""
        return self._span(a, b, _WHOLE_DAY).total_seconds()

    def add_working_seconds(self, a: datetime, seconds: float) -> datetime:
        """The first instant t >= a with ``working_seconds_between(a, t) == seconds``.

        Used to push a deadline out by the working time a suspended stage still had left.
        """
        return self._advance(a, timedelta(seconds=seconds), _WHOLE_DAY)

    def working_hours_between(self, a: datetime, b: datetime) -> float:
        """Office hours of [a, b) on working days; 0 if b <= a."""
        return self._span(a, b, self._office) / timedelta(hours=1)

    def add_working_hours(self, a: datetime, hours: float) -> datetime:
        """The first instant t >= a with ``working_hours_between(a, t) == hours``."""
        return self._advance(a, timedelta(hours=hours), self._office)

    def _within(self, day: date, start: timedelta, end: timedelta, periods: _Periods) -> timedelta:
        if not self.is_working_day(day):
            return _ZERO
        return sum((max(_ZERO, min(end, pe) - max(start, ps)) for ps, pe in periods), _ZERO)

    def _span(self, a: datetime, b: datetime, periods: _Periods) -> timedelta:
        a_local, b_local = _local(a), _local(b)
        if b_local <= a_local:
            return _ZERO
        a_day, a_offset = a_local.date(), _time_of_day(a_local)
        b_day, b_offset = b_local.date(), _time_of_day(b_local)
        if b_offset == _ZERO:  # [a, b) ends at midnight: b's own day is not touched
            b_day, b_offset = b_day - _DAY, _DAY
        if a_day == b_day:
            return self._within(a_day, a_offset, b_offset, periods)
        head = self._within(a_day, a_offset, _DAY, periods)
        tail = self._within(b_day, _ZERO, b_offset, periods)
        full_days = self.working_days_between(a_day, b_day - _DAY)
        return head + tail + full_days * sum((pe - ps for ps, pe in periods), _ZERO)

    def _advance(self, a: datetime, amount: timedelta, periods: _Periods) -> datetime:
        if amount < _ZERO:
            raise ValueError(f"cannot add a negative amount of working time ({amount})")
        a_local = _local(a)
        if amount == _ZERO:
            return a_local
        day = a_local.date()
        remaining = amount
        if self.is_working_day(day):
            found, remaining = _consume(day, _time_of_day(a_local), remaining, periods)
            if found is not None:
                return found
        per_day = sum((pe - ps for ps, pe in periods), _ZERO)
        whole_days = -(-remaining // per_day) - 1  # leave (0, per_day] for the last day
        remaining -= whole_days * per_day
        day = self.add_working_days(day, whole_days + 1)
        found, _ = _consume(day, _ZERO, remaining, periods)
        if found is None:  # pragma: no cover - remaining <= per_day always fits
            raise AssertionError("working time left over after the last working day")
        return found


def _consume(
    day: date, offset: timedelta, remaining: timedelta, periods: _Periods
) -> tuple[datetime | None, timedelta]:
    """Spend ``remaining`` in the periods of ``day`` from ``offset`` on; the instant it runs out."""
    for period_start, period_end in periods:
        start = max(period_start, offset)
        if start >= period_end:
            continue
        available = period_end - start
        if remaining <= available:
            return _at(day, start + remaining), _ZERO
        remaining -= available
    return None, remaining


def default_data_text() -> str:
    return (
        resources.files("shared.calendar")
        .joinpath("data/cn_official.json")
        .read_text(encoding="utf-8")
    )


@lru_cache(maxsize=8)
def load_default_calendar(
    *,
    fallback_weekends_only: bool = False,
    office_hours: tuple[OfficePeriod, ...] = DEFAULT_OFFICE_HOURS,
) -> WorkingCalendar:
    """The calendar built from the packaged official schedules (cached)."""
    data = CalendarData.model_validate_json(default_data_text())
    return WorkingCalendar(
        data, fallback_weekends_only=fallback_weekends_only, office_hours=office_hours
    )
