"""The one time model of a supervised limit: counted time, deadlines with stops, and the light.

Every view of a stage's clock calls these functions: approval's work list, intake's tracking
view, the monitor's lights, timers, board and gauges. Two copies of the light rule once told an
officer green while the board showed yellow; there is no second copy.

A limit's time is counted in its unit: working days count whole working days of the official
calendar (all 24 hours), working hours count office hours, natural days count every second.
Amounts are seconds of counted time.

The light: red once the deadline is reached; yellow from the first working moment at which no
more than the warning margin is left; green before. The margin is the larger of
``margin_working_days`` working days and ``margin_fraction`` of the limit (the earlier warning:
"one working day, or 20 % of the limit, whichever comes first"). A stopped clock (suspension,
supplement wait, special procedure) keeps the light it had when it stopped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from shared.calendar.limits import Limit, LimitUnit
from shared.contracts.common import Light

DAY_S = 86_400.0
# Bridges the last second of a 23:59:59 deadline day when rolling yellow forward.
_NUDGE_S = 60.0


class Calendar(Protocol):
    """The parts of ``WorkingCalendar`` the time model uses."""

    @property
    def office_hours_per_day(self) -> float: ...

    def deadline(self, start: datetime, limit: Limit) -> datetime: ...

    def working_seconds_between(self, a: datetime, b: datetime) -> float: ...

    def add_working_seconds(self, a: datetime, seconds: float) -> datetime: ...

    def working_hours_between(self, a: datetime, b: datetime) -> float: ...

    def add_working_hours(self, a: datetime, hours: float) -> datetime: ...


class DeadlineCalendar(Protocol):
    """The parts of ``WorkingCalendar`` a kept deadline uses: counted on a calendar version,
    marked provisional where an unpublished year decides it, and recounted when a newer
    version supersedes the one it was counted on (rectifications, objections)."""

    @property
    def version(self) -> str: ...

    def deadline(self, start: datetime, limit: Limit) -> datetime: ...

    def is_provisional(self, limit: Limit, start: datetime, due: datetime) -> bool: ...

    def superseded(self, version: str | None) -> bool: ...


class WarningPolicy(BaseModel):
    """Yellow starts when the larger margin is left: the earlier warning wins."""

    model_config = ConfigDict(frozen=True)

    margin_working_days: float = Field(1.0, ge=0)
    margin_fraction: float = Field(0.2, ge=0, le=1)


def measure(unit: LimitUnit | str, a: datetime, b: datetime, calendar: Calendar) -> float:
    """Counted seconds of [a, b) for a limit in ``unit`` (0 when b <= a)."""
    if b <= a:
        return 0.0
    if unit == LimitUnit.NATURAL_DAYS:
        return (b - a).total_seconds()
    if unit == LimitUnit.WORKING_HOURS:
        return calendar.working_hours_between(a, b) * 3600.0
    return calendar.working_seconds_between(a, b)


def advance_by(unit: LimitUnit | str, a: datetime, seconds: float, calendar: Calendar) -> datetime:
    """The first instant at which ``seconds`` of counted time have passed after ``a``."""
    if seconds <= 0:
        return a
    if unit == LimitUnit.NATURAL_DAYS:
        return a + timedelta(seconds=seconds)
    if unit == LimitUnit.WORKING_HOURS:
        return calendar.add_working_hours(a, seconds / 3600.0)
    return calendar.add_working_seconds(a, seconds)


def time_left(unit: LimitUnit | str, now: datetime, due_at: datetime, calendar: Calendar) -> float:
    """Counted time left at ``now``; negative (counted time since) once past due."""
    if now >= due_at:
        return -measure(unit, due_at, now, calendar)
    return measure(unit, now, due_at, calendar)


def one_day(unit: LimitUnit | str, calendar: Calendar) -> float:
    """One working day in the unit's counted seconds (a day of office hours for hour limits)."""
    if unit == LimitUnit.WORKING_HOURS:
        return calendar.office_hours_per_day * 3600.0
    return DAY_S


def limit_seconds(limit: Limit) -> float:
    """The whole limit in counted seconds."""
    if limit.unit == LimitUnit.WORKING_HOURS:
        return limit.value * 3600.0
    return limit.value * DAY_S


def warning_margin(limit: Limit, calendar: Calendar, policy: WarningPolicy) -> float:
    return max(
        policy.margin_working_days * one_day(limit.unit, calendar),
        policy.margin_fraction * limit_seconds(limit),
    )


def warning_start(
    unit: LimitUnit | str, ref: datetime, due_at: datetime, margin: float, calendar: Calendar
) -> datetime:
    """The first working moment after ``ref`` with no more than ``margin`` left before
    ``due_at`` (yellow starts there, not at midnight before a holiday); ``ref`` itself when no
    more than the margin is left already."""
    left = measure(unit, ref, due_at, calendar)
    if left <= margin:
        return ref
    later = advance_by(unit, ref, left - margin + _NUDGE_S, calendar)
    return later - timedelta(seconds=_NUDGE_S)


def light_of(
    *,
    now: datetime,
    due_at: datetime,
    warn_at: datetime,
    stopped_at: datetime | None = None,
    red: bool = False,
    yellow: bool = False,
) -> Light:
    """The light at ``now`` (at ``stopped_at`` while the clock is stopped). ``red`` and
    ``yellow`` say the light was already lit: a light once lit stays until the deadline moves."""
    at = stopped_at or now
    if red or at >= due_at:
        return Light.RED
    if yellow or at >= warn_at:
        return Light.YELLOW
    return Light.GREEN


@dataclass(frozen=True)
class Stop:
    """An interval in which the clock did not run (suspension, supplement wait). ``ends_by`` is
    the maximum the policy allows: past it the clock runs again, whether or not anyone resumed."""

    started_at: datetime
    ended_at: datetime | None = None
    ends_by: datetime | None = None

    def end(self, now: datetime | None = None) -> datetime | None:
        """When the clock started again: the resumption, or the maximum if that came first
        (or has passed by ``now`` while the stop is still open)."""
        if self.ends_by is not None and (
            (self.ended_at is not None and self.ends_by < self.ended_at)
            or (self.ended_at is None and now is not None and now >= self.ends_by)
        ):
            return self.ends_by
        return self.ended_at


def past_maximum(
    unit: LimitUnit | str,
    due_at: datetime,
    stopped_at: datetime | None,
    ends_by: datetime | None,
    now: datetime,
    calendar: Calendar,
) -> tuple[datetime, datetime | None, datetime | None]:
    """A stopped clock as it stands at ``now``: (deadline, stopped since, running since). Past
    the stop's maximum the clock runs again from the maximum, the deadline pushed out by what was
    left when it stopped; before it, nothing changes."""
    if stopped_at is None or ends_by is None or now < ends_by:
        return due_at, stopped_at, None
    left = time_left(unit, stopped_at, due_at, calendar)
    due = advance_by(unit, ends_by, left, calendar) if left > 0 else due_at
    return due, None, ends_by


@dataclass(frozen=True)
class LimitClock:
    """A limit counted from ``opened_at`` with its stops: stopped time never counts."""

    limit: Limit
    opened_at: datetime
    stops: Sequence[Stop] = ()

    def replay(self, calendar: Calendar) -> tuple[datetime, list[float]]:
        """The deadline now, and what was left when each stop began: the deadline from the
        opening, pushed out after each ended stop by exactly what that stop had left."""
        due = calendar.deadline(self.opened_at, self.limit)
        left_at_stops: list[float] = []
        for stop in self.stops:
            left = time_left(self.limit.unit, stop.started_at, due, calendar)
            left_at_stops.append(left)
            end = stop.end()
            if end is not None and left > 0:
                due = advance_by(self.limit.unit, end, left, calendar)
        return due, left_at_stops

    def running_since(self) -> datetime:
        """Where the clock last started: the opening or the end of the last stop."""
        ended = [end for s in self.stops if (end := s.end()) is not None]
        return max(ended, default=self.opened_at)


def stage_light(
    limit: Limit,
    due_at: datetime,
    now: datetime,
    calendar: Calendar,
    policy: WarningPolicy,
    *,
    since: datetime,
    stopped_at: datetime | None = None,
) -> tuple[Light, datetime]:
    """The light of a limit due at ``due_at`` whose clock runs since ``since``, and when it
    turns (or turned) yellow."""
    margin = warning_margin(limit, calendar, policy)
    warn_at = warning_start(limit.unit, since, due_at, margin, calendar)
    return light_of(now=now, due_at=due_at, warn_at=warn_at, stopped_at=stopped_at), warn_at
