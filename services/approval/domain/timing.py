"""Time rules: deadlines, suspended time that never counts, and the light of an open stage."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from pydantic import BaseModel, ConfigDict

from shared.calendar.limits import Limit, LimitUnit
from shared.contracts.common import Light


class Calendar(Protocol):
    """The part of ``shared.calendar.WorkingCalendar`` the rules need."""

    @property
    def office_hours_per_day(self) -> float: ...

    @property
    def version(self) -> str: ...

    def is_provisional(self, limit: Limit, start: datetime, due: datetime) -> bool: ...

    def superseded(self, version: str | None) -> bool: ...

    def deadline(self, start: datetime, limit: Limit) -> datetime: ...

    def working_seconds_between(self, a: datetime, b: datetime) -> float: ...

    def add_working_seconds(self, a: datetime, seconds: float) -> datetime: ...

    def working_hours_between(self, a: datetime, b: datetime) -> float: ...

    def add_working_hours(self, a: datetime, hours: float) -> datetime: ...


def time_left(calendar: Calendar, limit: Limit, now: datetime, due_at: datetime) -> float:
    """What the limit still has at ``now``, in the unit that counts for it.

    Working days count whole working days (24 h each), working hours count office hours (in
    seconds), natural days count every second. Negative when the stage is past due.
    """
    if now >= due_at:
        return -_elapsed(calendar, limit, due_at, now)
    return _elapsed(calendar, limit, now, due_at)


def _elapsed(calendar: Calendar, limit: Limit, a: datetime, b: datetime) -> float:
    match limit.unit:
        case LimitUnit.WORKING_DAYS:
            return calendar.working_seconds_between(a, b)
        case LimitUnit.WORKING_HOURS:
            return calendar.working_hours_between(a, b) * 3600.0
        case LimitUnit.NATURAL_DAYS:
            return max((b - a).total_seconds(), 0.0)
    raise AssertionError(limit.unit)  # pragma: no cover


def push_out(
    calendar: Calendar, limit: Limit, resumed_at: datetime, remaining_s: float
) -> datetime:
    """The new deadline after a suspension: what was left when it stopped, counted from now."""
    if remaining_s <= 0:
        return resumed_at
    match limit.unit:
        case LimitUnit.WORKING_DAYS:
            return calendar.add_working_seconds(resumed_at, remaining_s)
        case LimitUnit.WORKING_HOURS:
            return calendar.add_working_hours(resumed_at, remaining_s / 3600.0)
        case LimitUnit.NATURAL_DAYS:
            return resumed_at + timedelta(seconds=remaining_s)
    raise AssertionError(limit.unit)  # pragma: no cover


def limit_seconds(calendar: Calendar, limit: Limit) -> float:
    """The whole limit in the unit ``time_left`` uses."""
    if limit.unit == LimitUnit.WORKING_HOURS:
        return limit.value * 3600.0
    return limit.value * 86400.0


def one_working_day_s(calendar: Calendar, limit: Limit) -> float:
    if limit.unit == LimitUnit.WORKING_HOURS:
        return calendar.office_hours_per_day * 3600.0
    return 86400.0


class TaskClock(BaseModel):
    model_config = ConfigDict(frozen=True)

    light: Light
    seconds_left: float
    working_days_left: float | None
    hours_left: float | None


def light_of(
    calendar: Calendar,
    limit: Limit,
    now: datetime,
    due_at: datetime,
    *,
    suspended_remaining_s: float | None = None,
    warn_fraction: float = 0.2,
) -> TaskClock:
    """Green, yellow (within max(one working day, 20 % of the limit) of due) or red (past due).

    A suspended stage is frozen at what it had left when the clock stopped.
    """
    left = (
        suspended_remaining_s
        if suspended_remaining_s is not None
        else time_left(calendar, limit, now, due_at)
    )
    margin = max(one_working_day_s(calendar, limit), warn_fraction * limit_seconds(calendar, limit))
    if left <= 0:
        light = Light.RED
    elif left <= margin:
        light = Light.YELLOW
    else:
        light = Light.GREEN
    if limit.unit == LimitUnit.WORKING_HOURS:
        return TaskClock(
            light=light, seconds_left=left, working_days_left=None, hours_left=left / 3600
        )
    return TaskClock(
        light=light, seconds_left=left, working_days_left=round(left / 86400.0, 3), hours_left=None
    )
