"""The work list's view of a stage's clock, through the one time model in
``shared.calendar.timing`` (the monitor's lights and board use the same functions)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from pydantic import BaseModel, ConfigDict

from shared.calendar.limits import Limit, LimitUnit
from shared.calendar.timing import (
    Calendar as TimingCalendar,
)
from shared.calendar.timing import (
    WarningPolicy,
    stage_light,
    time_left,
)
from shared.contracts.common import Light


class Calendar(TimingCalendar, Protocol):
    """The part of ``shared.calendar.WorkingCalendar`` the approval rules need."""

    @property
    def version(self) -> str: ...

    def is_provisional(self, limit: Limit, start: datetime, due: datetime) -> bool: ...

    def superseded(self, version: str | None) -> bool: ...


class TaskClock(BaseModel):
    model_config = ConfigDict(frozen=True)

    light: Light
    warn_at: datetime
    seconds_left: float
    working_days_left: float | None
    hours_left: float | None


def task_clock(
    calendar: Calendar,
    limit: Limit,
    now: datetime,
    due_at: datetime,
    *,
    since: datetime,
    policy: WarningPolicy,
    stopped_at: datetime | None = None,
) -> TaskClock:
    """Light and time left of a stage due at ``due_at`` whose clock runs since ``since``; a
    stopped clock (``stopped_at``) shows what it had when it stopped."""
    light, warn_at = stage_light(
        limit, due_at, now, calendar, policy, since=since, stopped_at=stopped_at
    )
    left = time_left(limit.unit, stopped_at or now, due_at, calendar)
    if limit.unit == LimitUnit.WORKING_HOURS:
        return TaskClock(
            light=light,
            warn_at=warn_at,
            seconds_left=left,
            working_days_left=None,
            hours_left=left / 3600,
        )
    return TaskClock(
        light=light,
        warn_at=warn_at,
        seconds_left=left,
        working_days_left=round(left / 86400.0, 3),
        hours_left=None,
    )
