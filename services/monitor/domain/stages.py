"""A supervised stage: opened, suspended, resumed, its deadline changed, closed.

A stage's timeline is measured in the unit of its limit: working days count whole working days
(all 24 hours), working hours count office hours, natural days count every second.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.monitor.domain.policy import Status
from shared.calendar.limits import Limit
from shared.calendar.timing import (
    Calendar,
    WarningPolicy,
    advance_by,
    light_of,
    measure,
    warning_margin,
    warning_start,
)
from shared.contracts.common import Light


class StageState(BaseModel):
    """The monitor's record of one stage, sub-task or rectification (stored in the table)."""

    model_config = ConfigDict(extra="ignore")

    kind: Literal["stage", "rectification"] = "stage"
    case_id: str
    stage_id: str
    stage: str
    item_code: str = ""
    department: str
    region: str
    assignee: str | None = None
    opened_at: datetime
    due_at: datetime
    unit: str = "working_days"
    margin_s: float
    warn_at: datetime
    since: datetime | None = Field(None, description="where the clock last started running")
    status: Status = Status.OPEN
    suspended_at: datetime | None = None
    remaining_s: float | None = None
    resumes_at: datetime | None = Field(
        None, description="the suspension's maximum: supervision resumes by itself there"
    )
    stop_max: Limit | None = Field(None, description="the suspension's maximum length")
    signed_in_at: datetime | None = None
    sign_in_due: datetime | None = Field(
        None, description="when a task not yet signed in becomes a late-sign-in finding"
    )
    late_sign_in_found: bool = False
    supplement_requests: int = 0
    stopped_s: float = Field(0.0, description="working seconds the clock stood still so far")
    yellow_at: datetime | None = None
    red_at: datetime | None = None
    rung: int = 0
    closed_at: datetime | None = None
    outcome: str | None = None
    reason: str | None = None
    due_provisional: bool = False
    case_clock: bool = Field(False, description="the case's promised or statutory limit")
    parallel_parent: bool = Field(
        False,
        description="the parent of a parallel stage: no clock of its own, no ladder; its "
        "light is the worst of its open sub-tasks'",
    )
    parent_stage_id: str | None = None
    overdue_from: datetime | None = Field(
        None, description="the ladder's start when a recomputed deadline was already past"
    )
    gen: int = Field(0, description="alert cycle: a deadline moved later starts a new one")

    @property
    def ladder_from(self) -> datetime:
        """Where the red light and the ladder count from: the deadline, or the instant a
        recomputed deadline was found already past (no rung is fired retroactively)."""
        return self.overdue_from or self.due_at

    def light(self, now: datetime) -> Light:
        """The colour now; a suspended stage keeps the colour it had when it stopped."""
        return light_of(
            now=now,
            due_at=self.due_at,
            warn_at=self.warn_at,
            stopped_at=self.suspended_at if self.status is Status.SUSPENDED else self.closed_at,
            red=self.red_at is not None,
            yellow=self.yellow_at is not None,
        )


def open_stage(
    *,
    case_id: str,
    stage_id: str,
    stage: str,
    item_code: str,
    department: str,
    region: str,
    assignee: str | None,
    opened_at: datetime,
    due_at: datetime,
    limit: Limit,
    calendar: Calendar,
    policy: WarningPolicy,
    kind: Literal["stage", "rectification"] = "stage",
    due_provisional: bool = False,
) -> StageState:
    unit = limit.unit.value
    margin = warning_margin(limit, calendar, policy)
    return StageState(
        due_provisional=due_provisional,
        kind=kind,
        case_id=case_id,
        stage_id=stage_id,
        stage=stage,
        item_code=item_code,
        department=department,
        region=region,
        assignee=assignee,
        opened_at=opened_at,
        due_at=due_at,
        unit=unit,
        margin_s=margin,
        warn_at=warning_start(unit, opened_at, due_at, margin, calendar),
    )


def suspend(
    stage: StageState,
    at: datetime,
    calendar: Calendar,
    max_length: Limit | None = None,
    *,
    ends_by: datetime | None = None,
) -> StageState:
    """The clock stops: keep the counted time still left; the ladder stops at once. With a
    maximum, a timer resumes supervision when it passes (``overrun``)."""
    if stage.status is not Status.OPEN:
        return stage
    left = measure(stage.unit, at, stage.due_at, calendar)
    resumes_at = calendar.deadline(at, max_length) if max_length is not None else ends_by
    return stage.model_copy(
        update={
            "status": Status.SUSPENDED,
            "suspended_at": at,
            "remaining_s": left,
            "resumes_at": resumes_at,
            "stop_max": max_length,
        }
    )


def stop_ends(stage: StageState, calendar: Calendar) -> datetime | None:
    """Where a suspension's maximum falls, on the calendar in force (a year published since it
    began moves it like any deadline)."""
    if stage.suspended_at is not None and stage.stop_max is not None:
        return calendar.deadline(stage.suspended_at, stage.stop_max)
    return stage.resumes_at


def overrun(stage: StageState, now: datetime, calendar: Calendar) -> StageState | None:
    """A suspension past its maximum: the clock runs again from the maximum with what was left
    (the same rule approval's work list applies); None while it is within its maximum."""
    ends = stop_ends(stage, calendar) if stage.status is Status.SUSPENDED else None
    if ends is None or now < ends:
        return None
    at, left = ends, stage.remaining_s or 0.0
    due = advance_by(stage.unit, at, left, calendar) if left > 0 else stage.due_at
    resumed = resume(stage, at, due, calendar)
    return resumed.model_copy(update={"resumes_at": None, "stop_max": None})


def resume(
    stage: StageState,
    at: datetime,
    due_at: datetime,
    calendar: Calendar,
    due_provisional: bool | None = None,
) -> StageState:
    """The clock runs again; the resumed event's ``due_at`` is authoritative."""
    if stage.status is not Status.SUSPENDED:
        return stage
    return stage.model_copy(
        update={
            "status": Status.OPEN,
            "suspended_at": None,
            "remaining_s": None,
            "due_at": due_at,
            "warn_at": warning_start(stage.unit, at, due_at, stage.margin_s, calendar),
            "since": at,
            "due_provisional": stage.due_provisional
            if due_provisional is None
            else due_provisional,
            "overdue_from": None,  # the resumed deadline is the one the ladder counts from
            "resumes_at": None,
            "stop_max": None,
            "stopped_s": stage.stopped_s
            + (
                calendar.working_seconds_between(stage.suspended_at, at)
                if stage.suspended_at
                else 0
            ),
        }
    )


def change_due(
    stage: StageState,
    due_at: datetime,
    at: datetime,
    calendar: Calendar,
    *,
    due_provisional: bool,
) -> StageState:
    """The deadline counted again on a newly published holiday schedule, applied at ``at``.

    - Moved into the past of a stage not yet red: red at ``at``, the ladder counts from ``at``.
    - Moved while already red and still past: the ladder keeps its start; nothing re-fires.
    - Moved into the future of a red or yellow stage: the light follows the new deadline and a
      new alert cycle starts (``gen``), so its warnings are new events, not replays.
    """
    if stage.status is Status.CLOSED:
        return stage
    update: dict[str, object] = {"due_at": due_at, "due_provisional": due_provisional}
    if stage.status is Status.SUSPENDED:
        assert stage.suspended_at is not None
        update["remaining_s"] = measure(stage.unit, stage.suspended_at, due_at, calendar)
        update["overdue_from"] = None  # resuming brings its own deadline
        return stage.model_copy(update=update)
    # The margin belongs to the limit, not to the deadline: only the warning start moves.
    since = stage.since or stage.opened_at
    warn_at = warning_start(stage.unit, since, due_at, stage.margin_s, calendar)
    update["warn_at"] = warn_at
    if stage.red_at is not None and due_at <= at:
        update["overdue_from"] = stage.ladder_from
    elif due_at <= at:
        update["overdue_from"] = at
    elif stage.red_at is not None or (stage.yellow_at is not None and at < warn_at):
        update.update(yellow_at=None, red_at=None, rung=0, overdue_from=None, gen=stage.gen + 1)
    return stage.model_copy(update=update)


def close(stage: StageState, at: datetime, outcome: str, reason: str | None) -> StageState:
    return stage.model_copy(
        update={"status": Status.CLOSED, "closed_at": at, "outcome": outcome, "reason": reason}
    )
