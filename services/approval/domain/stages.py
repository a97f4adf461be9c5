"""Opening, closing, suspending and resuming stages; each change records the event it publishes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from services.approval.domain.audit import AuditRecord
from services.approval.domain.model import (
    Case,
    PlanStep,
    Stage,
    StageState,
    Suspension,
    SuspensionReason,
)
from services.approval.domain.timing import Calendar
from shared.calendar.limits import Limit
from shared.calendar.timing import LimitClock, Stop, advance_by, time_left
from shared.contracts.common import ParallelMode, StageKind
from shared.contracts.envelope import EventData
from shared.contracts.events import StageClosed, StageOpened, StageResumed, StageSuspended


class Emitted(BaseModel):
    """An event the transition publishes; ``key`` makes its id deterministic."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    key: tuple[str, ...]
    data: EventData


@dataclass
class Transition:
    case: Case
    now: datetime
    calendar: Calendar
    events: list[Emitted] = field(default_factory=list)
    audit: list[AuditRecord] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.events or self.audit)

    def emit(self, data: EventData, *key: str) -> None:
        self.events.append(Emitted(key=(self.case.case_id, *key), data=data))

    def record(
        self, action: str, actor: str, stage_id: str | None = None, **detail: object
    ) -> None:
        self.audit.append(
            AuditRecord(action=action, actor=actor, stage_id=stage_id, detail=dict(detail))
        )


def _opened_event(tr: Transition, stage: Stage) -> StageOpened:
    case = tr.case
    return StageOpened(
        case_id=case.case_id,
        stage_id=stage.stage_id,
        stage=stage.kind,
        name=stage.name,
        item_code=case.item_code,
        department=stage.department,
        region=stage.region,
        assignee=stage.assignee,
        required_role=stage.required_role,
        opened_at=stage.opened_at,
        due_at=stage.due_at,
        due_provisional=stage.due_provisional,
        limit=stage.limit,
        promised_limit=case.promised_limit,
        statutory_limit=case.statutory_limit,
        parent_stage_id=stage.parent_stage_id,
        parallel_mode=stage.parallel_mode,
    )


def open_stage(
    tr: Transition,
    *,
    stage_id: str,
    kind: StageKind,
    name: str,
    department: str,
    limit: Limit,
    required_role: str,
    plan_index: int | None = None,
    parent_stage_id: str | None = None,
    parallel_mode: ParallelMode | None = None,
    sub_stage_ids: list[str] | None = None,
    opened_at: datetime | None = None,
    assignee: str | None = None,
) -> Stage:
    """``opened_at``: the instant the limit counts from when it is not now (a deadline that
    started before approval heard of it); ``assignee``: who acts on it from the start."""
    start = opened_at or tr.now
    stage = Stage(
        stage_id=stage_id,
        kind=kind,
        name=name,
        department=department,
        region=department_region(department, tr.case.region),
        required_role=required_role,
        limit=limit,
        opened_at=start,
        due_at=tr.calendar.deadline(start, limit),
        assignee=assignee,
        parent_stage_id=parent_stage_id,
        parallel_mode=parallel_mode,
        sub_stage_ids=sub_stage_ids or [],
        plan_index=plan_index,
    )
    mark_due(tr.calendar, stage)
    tr.case.stages[stage_id] = stage
    tr.emit(_opened_event(tr, stage), stage_id, "opened")
    tr.record(
        "stage_opened",
        "system",
        stage_id,
        kind=kind.value,
        department=department,
        due_at=stage.due_at.isoformat(),
        limit=f"{limit.value} {limit.unit.value}",
    )
    return stage


def open_plan_step(tr: Transition, index: int) -> Stage:
    """Open step ``index`` of the item's stage plan; several departments make a parallel stage
    (the parent, due like any stage, plus one sub-task per department)."""
    step: PlanStep = tr.case.plan[index]
    base = f"{tr.case.case_id}:{step.stage.value}"
    if base in tr.case.stages:  # the plan repeats a kind: keep ids unique and deterministic
        base = f"{base}-{index + 1}"
    parallel = len(step.departments) > 1
    subs = [f"{base}:{dept}" for dept in step.departments] if parallel else []
    mode = step.parallel_mode if parallel else None
    parent = open_stage(
        tr,
        stage_id=base,
        kind=step.stage,
        name=step.name,
        department=step.departments[0],
        limit=step.limit,
        required_role=step.required_role,
        plan_index=index,
        parallel_mode=mode,
        sub_stage_ids=subs,
    )
    for dept, sub_id in zip(step.departments, subs, strict=False):
        open_stage(
            tr,
            stage_id=sub_id,
            kind=step.stage,
            name=step.name,
            department=dept,
            limit=step.limit,
            required_role=step.required_role,
            plan_index=index,
            parent_stage_id=base,
            parallel_mode=mode,
        )
    return parent


def close_stage(
    tr: Transition,
    stage: Stage,
    outcome: str,
    *,
    officer: str | None,
    reason: str | None = None,
    legal_basis: str | None = None,
) -> None:
    stage.state = StageState.CLOSED
    stage.outcome = outcome
    stage.closed_at = tr.now
    stage.closed_by = officer
    stage.reason = reason
    stage.legal_basis = legal_basis
    if stage.suspensions and stage.suspensions[-1].ended_at is None:
        stage.suspensions[-1].ended_at = tr.now
    tr.emit(
        StageClosed(
            case_id=tr.case.case_id,
            stage_id=stage.stage_id,
            stage=stage.kind,
            outcome=outcome,
            officer=officer,
            reason=reason,
            legal_basis=legal_basis,
            department=stage.department,
            closed_at=tr.now,
        ),
        stage.stage_id,
        "closed",
    )
    tr.record(
        "stage_closed",
        officer or "system",
        stage.stage_id,
        outcome=outcome,
        reason=reason,
        legal_basis=legal_basis,
    )


def cancel_active(tr: Transition, *, except_ids: tuple[str, ...] = ()) -> None:
    for stage in tr.case.active_stages():
        if stage.stage_id not in except_ids:
            close_stage(tr, stage, "cancelled", officer=None, reason="case decided")


def suspend_stage(
    tr: Transition,
    stage: Stage,
    reason: SuspensionReason,
    *,
    actor: str,
    note: str | None,
    max_length: Limit | None,
    ends_by: datetime | None = None,
) -> None:
    """``ends_by``: for a stop that follows others (a parallel step, the case's limits), the
    latest it may last: when the first of the stops under it reaches its maximum."""
    remaining = time_left(stage.limit.unit, tr.now, stage.due_at, tr.calendar)
    stage.state = StageState.SUSPENDED
    if max_length is not None:
        ends_by = tr.calendar.deadline(tr.now, max_length)
    stage.suspensions.append(
        Suspension(
            reason=reason,
            note=note,
            max_length=max_length,
            started_at=tr.now,
            ends_by=ends_by,
            ends_provisional=ends_by is not None
            and max_length is not None
            and tr.calendar.is_provisional(max_length, tr.now, ends_by),
            remaining_s=remaining,
        )
    )
    n = str(len(stage.suspensions))
    tr.emit(
        StageSuspended(
            case_id=tr.case.case_id,
            stage_id=stage.stage_id,
            reason=reason,
            note=note,
            max_length=max_length,
            suspended_at=tr.now,
            ends_by=ends_by if max_length is None else None,
        ),
        stage.stage_id,
        "suspended",
        n,
    )
    tr.record("stage_suspended", actor, stage.stage_id, reason=reason, note=note)


def resume_stage(tr: Transition, stage: Stage, *, actor: str) -> None:
    suspension = stage.suspensions[-1]
    suspension.ended_at = tr.now
    stage.state = StageState.OPEN
    # The clock ran again at the policy's maximum if that came before the resumption.
    running = Stop(suspension.started_at, tr.now, suspension.ends_by).end() or tr.now
    if suspension.remaining_s > 0:
        # Suspended time never counts: the stage gets back exactly what it had left.
        stage.due_at = advance_by(stage.limit.unit, running, suspension.remaining_s, tr.calendar)
    mark_due(tr.calendar, stage)
    n = str(len(stage.suspensions))
    tr.emit(
        StageResumed(
            case_id=tr.case.case_id,
            stage_id=stage.stage_id,
            resumed_at=tr.now,
            due_at=stage.due_at,
            due_provisional=stage.due_provisional,
            clock_resumed_at=running,
        ),
        stage.stage_id,
        "resumed",
        n,
    )
    tr.record("stage_resumed", actor, stage.stage_id, due_at=stage.due_at.isoformat())


def clock_of(stage: Stage) -> LimitClock:
    """The stage's limit clock: its opening and its stops (suspensions, supplement waits)."""
    return LimitClock(
        stage.limit,
        stage.opened_at,
        tuple(Stop(s.started_at, s.ended_at, s.ends_by) for s in stage.suspensions),
    )


def mark_due(calendar: Calendar, stage: Stage) -> None:
    """Record which calendar the deadline was computed on and whether a provisional year (no
    published holiday schedule yet) counted in it: from the opening to the due instant."""
    stage.due_provisional = calendar.is_provisional(stage.limit, stage.opened_at, stage.due_at)
    stage.due_calendar = calendar.version


def department_region(department: str, default: str) -> str:
    """A department works in its own region (codes read ``<region>-<abbr>``): in cross-region
    handling (跨省通办) another region's department takes its own sub-task."""
    prefix = department.split("-", 1)[0]
    return prefix if len(prefix) == 6 and prefix.isdigit() else default
