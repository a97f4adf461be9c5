"""Pure supervision rules: lights, the escalation ladder and the findings of 电子监察.

No I/O and no clock reads: every rule receives the instant it judges and the working calendar.
A stage's timeline is measured in the unit of its limit: working days count whole working days
(all 24 hours), working hours count office hours, natural days count every second.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.calendar.limits import Limit
from shared.calendar.timing import (
    DAY_S,
    Calendar,
    WarningPolicy,
    advance_by,
    light_of,
    measure,
    warning_margin,
    warning_start,
)
from shared.contracts.common import Light

__all__ = ["DAY_S", "Calendar", "Light", "WarningPolicy"]  # re-exported for the service


class Status(StrEnum):
    OPEN = "open"
    SUSPENDED = "suspended"
    CLOSED = "closed"


Card = Literal["none", "yellow", "red"]


class Rung(BaseModel):
    """One rung of the 催办/督办 ladder, reached ``after_working_days`` after the deadline."""

    model_config = ConfigDict(frozen=True)

    after_working_days: float = Field(ge=0)
    recipients: tuple[str, ...]
    card: Card = "none"
    credit_incident: bool = False


DEFAULT_LADDER: tuple[Rung, ...] = (
    Rung(after_working_days=0, recipients=("handler",)),
    Rung(after_working_days=1, recipients=("section_chief",), card="yellow"),
    Rung(after_working_days=2, recipients=("department_head",), card="red"),
    Rung(after_working_days=3, recipients=("inspection_office",), card="red", credit_incident=True),
)


# A broken promise (承诺时限) is the department's own business: reminded and escalated within it.
# A broken statutory limit (法定时限) climbs the default ladder to the discipline-inspection office.
PROMISED_LADDER: tuple[Rung, ...] = (
    Rung(after_working_days=0, recipients=("section_chief",)),
    Rung(after_working_days=1, recipients=("department_head",), card="yellow"),
)
DEFAULT_STAGE_LADDERS: dict[str, tuple[Rung, ...]] = {"case_promised": PROMISED_LADDER}


class LadderPolicy(BaseModel):
    model_config = ConfigDict(frozen=True)

    default: tuple[Rung, ...] = DEFAULT_LADDER
    by_department: dict[str, tuple[Rung, ...]] = Field(default_factory=dict)
    by_item: dict[str, tuple[Rung, ...]] = Field(default_factory=dict)
    by_stage: dict[str, tuple[Rung, ...]] = Field(
        default_factory=lambda: dict(DEFAULT_STAGE_LADDERS),
        description="per kind of stage, e.g. the case's promised limit (case_promised)",
    )

    def ladder_for(self, department: str, item_code: str, stage: str = "") -> tuple[Rung, ...]:
        """A kind's own ladder (the case's limits) wins; then the item's, then its department's,
        then the default."""
        if stage in self.by_stage:
            return self.by_stage[stage]
        if item_code in self.by_item:
            return self.by_item[item_code]
        return self.by_department.get(department, self.default)


class FindingPolicy(BaseModel):
    model_config = ConfigDict(frozen=True)

    prereview_working_days: int = 2
    sign_in_working_hours: float = 4.0
    after_the_fact_s: float = 86_400.0
    fast_close_s: float = 60.0
    fast_close_stages: tuple[str, ...] = ("review", "decide")


def rung_time(due_at: datetime, rung: Rung, calendar: Calendar) -> datetime:
    return calendar.add_working_seconds(due_at, rung.after_working_days * DAY_S)


# --- a supervised stage ------------------------------------------------------------------------


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


@dataclass(frozen=True)
class Transition:
    """Something the stage reached: a colour, or rung ``number`` of the ladder."""

    kind: Literal["yellow", "red", "rung"]
    at: datetime
    number: int = 0
    rung: Rung | None = None


def advance(
    stage: StageState, now: datetime, ladder: tuple[Rung, ...], calendar: Calendar
) -> tuple[StageState, list[Transition]]:
    """Everything due by ``now`` that has not fired yet, in order; once per colour and rung.

    A stage found already past due skips yellow: the warning would come after the deadline.
    The parent of a parallel stage never fires: each department's sub-task is supervised on
    its own clock and only a late department is escalated.
    """
    if stage.status is not Status.OPEN or stage.parallel_parent:
        return stage, []
    fired: list[Transition] = []
    update: dict[str, object] = {}
    red_at = stage.red_at
    if stage.yellow_at is None and red_at is None and stage.warn_at <= now < stage.due_at:
        fired.append(Transition("yellow", stage.warn_at))
        update["yellow_at"] = stage.warn_at
    if red_at is None and now >= stage.due_at:
        red_at = stage.ladder_from
        fired.append(Transition("red", red_at))
        update["red_at"] = red_at
    rung = stage.rung
    if red_at is not None:
        while rung < len(ladder):
            at = rung_time(stage.ladder_from, ladder[rung], calendar)
            if at > now:
                break
            rung += 1
            fired.append(Transition("rung", at, rung, ladder[rung - 1]))
        update["rung"] = rung
    if not fired:
        return stage, []
    return stage.model_copy(update=update), fired


def next_due(stage: StageState, ladder: tuple[Rung, ...], calendar: Calendar) -> datetime | None:
    """When this stage next needs the timer, or None (closed, suspended, ladder exhausted, or
    the parent of a parallel stage)."""
    if stage.status is Status.SUSPENDED and not stage.parallel_parent:
        return stop_ends(stage, calendar)  # the suspension's maximum, if it has one
    if stage.status is not Status.OPEN or stage.parallel_parent:
        return None
    if stage.red_at is None:
        if stage.yellow_at is None and stage.warn_at < stage.due_at:
            return stage.warn_at
        return stage.due_at
    if stage.rung < len(ladder):
        return rung_time(stage.ladder_from, ladder[stage.rung], calendar)
    return None


def worst(lights: list[Light]) -> Light:
    """The light of a parallel stage: the worst of its open sub-tasks (green when none is open)."""
    for light in (Light.RED, Light.YELLOW):
        if light in lights:
            return light
    return Light.GREEN


# --- findings (电子监察) --------------------------------------------------------------------


FindingKind = Literal[
    "prereview_late",
    "late_sign_in",
    "closed_red_without_reason",
    "after_the_fact_entry",
    "implausibly_fast",
    "rectification_late",
    "suspension_overrun",
    "repeated_supplement_request",
]


@dataclass(frozen=True)
class Finding:
    kind: FindingKind
    detail: str
    at: datetime | None = None  # the rule's instant, for findings a timer raises


def prereview_late(
    opened_at: datetime,
    done_at: datetime,
    calendar: Calendar,
    policy: FindingPolicy,
    stopped_s: float = 0.0,
) -> Finding | None:
    """Pre-review (预审) must end within ``prereview_working_days`` working days of opening; the
    time waiting for the applicant's supplements (``stopped_s``) is the applicant's, not the
    department's."""
    used = calendar.working_seconds_between(opened_at, done_at) - stopped_s
    days = max(used, 0.0) / DAY_S
    if days <= policy.prereview_working_days:
        return None
    return Finding(
        "prereview_late",
        f"pre-review took {days:.2f} working days (limit {policy.prereview_working_days})",
    )


def sign_in_due(opened_at: datetime, calendar: Calendar, policy: FindingPolicy) -> datetime:
    """When a task nobody signed in becomes late (签收 within N office hours of opening)."""
    return calendar.add_working_hours(opened_at, policy.sign_in_working_hours)


def not_signed_in(stage: StageState, now: datetime) -> tuple[StageState, Finding | None]:
    """The sign-in deadline passed with nobody signed in: one finding, at the deadline."""
    if (
        stage.sign_in_due is None
        or stage.signed_in_at is not None
        or stage.late_sign_in_found
        or stage.status is not Status.OPEN
        or now < stage.sign_in_due
    ):
        return stage, None
    found = Finding(
        "late_sign_in",
        f"not signed in by {stage.sign_in_due.isoformat()}, the sign-in deadline",
        at=stage.sign_in_due,
    )
    return stage.model_copy(update={"late_sign_in_found": True}), found


def late_sign_in(
    opened_at: datetime, signed_in_at: datetime, calendar: Calendar, policy: FindingPolicy
) -> Finding | None:
    hours = calendar.working_hours_between(opened_at, signed_in_at)
    if hours <= policy.sign_in_working_hours:
        return None
    return Finding(
        "late_sign_in",
        f"signed in {hours:.1f} office hours after opening "
        f"(limit {policy.sign_in_working_hours:g})",
    )


def closed_red_without_reason(stage: StageState) -> Finding | None:
    """``stage`` is already closed; a late close needs a recorded reason."""
    assert stage.closed_at is not None
    late = stage.red_at is not None or stage.closed_at > stage.due_at
    if not late or (stage.reason or "").strip():
        return None
    kind: FindingKind = (
        "rectification_late" if stage.kind == "rectification" else "closed_red_without_reason"
    )
    return Finding(
        kind,
        f"closed {stage.closed_at.isoformat()} after due {stage.due_at.isoformat()}"
        " without a recorded reason",
    )


def after_the_fact(claimed: datetime, arrived: datetime, policy: FindingPolicy) -> Finding | None:
    """Work typed in long after it claims to have happened (事后录入) defeats supervision."""
    lag = (arrived - claimed).total_seconds()
    if lag <= policy.after_the_fact_s:
        return None
    return Finding("after_the_fact_entry", f"recorded {lag / 3600:.1f} h after the time it claims")


def implausibly_fast(
    stage: StageState, calendar: Calendar, policy: FindingPolicy
) -> Finding | None:
    assert stage.closed_at is not None
    if stage.stage not in policy.fast_close_stages or stage.outcome == "cancelled":
        return None
    start = stage.signed_in_at or stage.opened_at
    took = calendar.working_seconds_between(start, stage.closed_at)
    if took >= policy.fast_close_s:
        return None
    return Finding("implausibly_fast", f"{stage.stage} closed {took:.0f} s after it started")


def handling_working_days(stage: StageState, calendar: Calendar) -> float:
    assert stage.closed_at is not None
    return calendar.working_seconds_between(stage.opened_at, stage.closed_at) / DAY_S


def on_time(stage: StageState) -> bool:
    assert stage.closed_at is not None
    return stage.closed_at <= stage.due_at
