"""Working-day calendar of the public administration of the PRC, in Asia/Shanghai time.

A working day is Monday-Friday, minus official holidays, plus the weekend days officially declared
working days (调休上班). The State Council publishes each year's schedule in November or December
of the year before. A year after the last published one, up to the provisional horizon, is
computed provisionally from the statutory holidays alone (``shared.calendar.statutory``): every
result that touched such a year is marked provisional by its caller and recomputed when the
schedule is published. A year beyond the horizon, or before the first schedule, is refused.

The calendar can be swapped at run time (:meth:`WorkingCalendar.replace`): the tables are one
immutable snapshot assigned in one step, so a computation never mixes two versions.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from shared.calendar.limits import Limit, LimitUnit
from shared.calendar.schedule import CalendarData, YearSchedule, packaged_data
from shared.calendar.statutory import statutory_holidays
from shared.clock import SHANGHAI, require_aware

OfficePeriod = tuple[time, time]
DEFAULT_OFFICE_HOURS: tuple[OfficePeriod, ...] = (
    (time(9, 0), time(12, 0)),
    (time(13, 30), time(17, 30)),
)
END_OF_DAY = time(23, 59, 59)
DEFAULT_PROVISIONAL_YEARS = 1
_DAY = timedelta(days=1)
_ZERO = timedelta(0)
_Periods = tuple[tuple[timedelta, timedelta], ...]
_WHOLE_DAY: _Periods = ((_ZERO, _DAY),)


class CalendarCoverageError(ValueError):
    """A computation needs a year beyond the provisional horizon (or before the first schedule)."""

    def __init__(self, year: int, horizon: int | None = None) -> None:
        self.year = year
        beyond = f" (the provisional horizon is {horizon})" if horizon is not None else ""
        super().__init__(
            f"the holiday schedule for {year} is neither published nor provisional{beyond}; "
            "publish it with `egov calendar publish FILE` once the State Council has"
        )


@dataclass(frozen=True, slots=True)
class _Year:
    working: tuple[int, ...]  # sorted date ordinals
    working_set: frozenset[int]
    provisional: bool

    @classmethod
    def build(
        cls, year: int, off: frozenset[date], extra: frozenset[date], *, provisional: bool
    ) -> _Year:
        first, last = date(year, 1, 1).toordinal(), date(year, 12, 31).toordinal()
        working = tuple(
            o
            for o in range(first, last + 1)
            if (d := date.fromordinal(o)) in extra or (d.weekday() < 5 and d not in off)
        )
        return cls(working, frozenset(working), provisional)


@dataclass(frozen=True)
class _Tables:
    """One calendar version: the official years, the horizon, provisional years built on use."""

    data: CalendarData
    official: dict[int, _Year]
    horizon: int
    provisional: dict[int, _Year] = field(default_factory=dict)

    @classmethod
    def build(cls, data: CalendarData, provisional_years: int) -> _Tables:
        official = {
            year: _Year.build(
                year, frozenset(s.off), frozenset(s.extra_working_days), provisional=False
            )
            for year, s in data.years.items()
        }
        return cls(data, official, max(official) + provisional_years)

    def year(self, year: int) -> _Year:
        table = self.official.get(year)
        if table is not None:
            return table
        if not min(self.official) < year <= self.horizon:
            raise CalendarCoverageError(year, self.horizon)
        table = self.provisional.get(year)
        if table is None:
            off = statutory_holidays(year)
            table = self.provisional[year] = _Year.build(year, off, frozenset(), provisional=True)
        return table


@dataclass(frozen=True)
class YearStatus:
    year: int
    official: bool
    source: str | None = None

    def describe(self) -> str:
        return f"official {self.source}" if self.official else "provisional"


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
        provisional_years: int = DEFAULT_PROVISIONAL_YEARS,
        office_hours: tuple[OfficePeriod, ...] = DEFAULT_OFFICE_HOURS,
    ) -> None:
        if provisional_years < 0:
            raise ValueError("provisional_years must be >= 0")
        self.provisional_years = provisional_years
        self.office_hours = office_hours
        self._office = _to_periods(office_hours)
        self._t = _Tables.build(data, provisional_years)
        self._history = [self._t.data.version]

    def replace(self, data: CalendarData) -> bool:
        """Swap in a new calendar version; False when it is the one running."""
        if data.version == self.version:
            return False
        self._t = _Tables.build(data, self.provisional_years)
        self._history.append(self._t.data.version)
        return True

    def has_run(self, version: str) -> bool:
        """Whether this calendar runs ``version`` or ran it before its current one."""
        return version in self._history

    def superseded(self, version: str | None) -> bool:
        """Whether ``version`` is one this calendar ran before its current one (or unknown
        because it predates versions): a deadline computed on it is due for recomputation. A
        version this calendar never ran may be a newer one another process already runs."""
        return version is None or version in self._history[:-1]

    def publish(self, schedule: YearSchedule) -> bool:
        """Add or replace one year's official schedule; False when nothing changes."""
        return self.replace(self._t.data.with_year(schedule))

    @property
    def data(self) -> CalendarData:
        return self._t.data

    @property
    def version(self) -> str:
        return self._t.data.version

    @property
    def covered_years(self) -> tuple[int, ...]:
        """Years with an official schedule."""
        return tuple(sorted(self._t.official))

    @property
    def horizon_year(self) -> int:
        """The last year computed at all (provisionally past the last official one)."""
        return self._t.horizon

    @property
    def office_hours_per_day(self) -> float:
        return sum((end - start for start, end in self._office), _ZERO) / timedelta(hours=1)

    def last_covered_date(self) -> date:
        """The last day of the last officially published year."""
        return date(max(self._t.official), 12, 31)

    def coverage_days_left(self, today: date) -> int:
        return (self.last_covered_date() - today).days

    def is_provisional_year(self, year: int) -> bool:
        return self._t.year(year).provisional

    def is_provisional(self, limit: Limit, start: datetime, due: datetime) -> bool:
        """Whether a deadline of ``limit`` from ``start`` to ``due`` counted a provisional year
        (natural days count no holidays, so they never do)."""
        return limit.unit != LimitUnit.NATURAL_DAYS and self.touches_provisional(start, due)

    def touches_provisional(self, *instants: date | datetime) -> bool:
        """Whether a result computed over the span of these instants used a provisional year."""
        years = [_local_date(i).year for i in instants]
        return any(self.is_provisional_year(y) for y in range(min(years), max(years) + 1))

    def year_status(self) -> list[YearStatus]:
        official = self._t.data.years
        return [
            YearStatus(y, True, official[y].source) if y in official else YearStatus(y, False)
            for y in range(min(official), self.horizon_year + 1)
        ]

    def _year(self, year: int) -> _Year:
        return self._t.year(year)

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


def load_default_calendar(
    *,
    provisional_years: int = DEFAULT_PROVISIONAL_YEARS,
    office_hours: tuple[OfficePeriod, ...] = DEFAULT_OFFICE_HOURS,
) -> WorkingCalendar:
    """A new calendar built from the packaged official schedules (each caller owns its copy,
    since a published year changes it in place)."""
    return WorkingCalendar(
        packaged_data(), provisional_years=provisional_years, office_hours=office_hours
    )
