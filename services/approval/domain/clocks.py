"""The clocks that follow others: the case's own promised and statutory limits (started at
acceptance, stopped while every open stage is stopped) and a parallel step's deadline (stopped
while every open sub-task is)."""

from __future__ import annotations

from datetime import datetime

from services.approval.domain.model import Stage, StageState
from services.approval.domain.stages import (
    Transition,
    close_stage,
    open_stage,
    resume_stage,
    suspend_stage,
)
from shared.contracts.common import StageKind


def open_case_clocks(tr: Transition) -> None:
    """Acceptance (受理) starts the case's promised and statutory limits: each is supervised as
    a stage nobody acts on, stopped while every open stage is stopped, closed when the case is
    finished or ends."""
    case = tr.case
    for kind, limit, name in (
        (StageKind.CASE_PROMISED, case.promised_limit, "承诺时限"),
        (StageKind.CASE_STATUTORY, case.statutory_limit, "法定时限"),
    ):
        stage_id = f"{case.case_id}:{kind.value}"
        if stage_id not in case.stages:
            open_stage(
                tr,
                stage_id=stage_id,
                kind=kind,
                name=name,
                department=case.department,
                limit=limit,
                required_role="department_head",
            )


def close_case_clocks(tr: Transition, outcome: str) -> None:
    for stage in tr.case.active_stages():
        if stage.is_case_clock:
            close_stage(tr, stage, outcome, officer=None, reason="case finished")


def sync_case_clocks(tr: Transition, *, actor: str) -> None:
    """The case's limits stop while every open stage of the case is stopped and run again as
    soon as one runs (the same stops as its stages)."""
    working = [
        s
        for s in tr.case.active_stages()
        if not s.is_case_clock
        and not s.is_parent
        and s.kind not in (StageKind.VERIFICATION, StageKind.OWED_MATERIALS)
    ]
    for clock in [s for s in tr.case.active_stages() if s.is_case_clock]:
        _follow_stops(tr, clock, working, actor=actor)


def _follow_stops(tr: Transition, follower: Stage, followed: list[Stage], *, actor: str) -> None:
    """A following clock stops while every stage it follows is stopped and runs again as
    soon as one runs."""
    all_stopped = bool(followed) and all(s.state == StageState.SUSPENDED for s in followed)
    if all_stopped and follower.state == StageState.OPEN:
        suspend_stage(
            tr,
            follower,
            followed[-1].suspensions[-1].reason,
            actor=actor,
            note=None,
            max_length=None,
            ends_by=_first_end(followed),
        )
    elif not all_stopped and follower.state == StageState.SUSPENDED:
        resume_stage(tr, follower, actor=actor)


def _first_end(stopped: list[Stage]) -> datetime | None:
    """A following stop lasts no longer than the first of its stages' maxima (then that stage
    runs again, and so must the clocks that follow it)."""
    ends = [e for s in stopped if (e := s.suspensions[-1].ends_by) is not None]
    return min(ends, default=None)


def sync_parent_clock(tr: Transition, sub: Stage, *, actor: str) -> None:
    """A parallel stage's own deadline stops while every open sub-task is stopped and runs
    again as soon as one runs (the applicant follows the step, not the departments)."""
    if sub.parent_stage_id is None:
        return
    parent = tr.case.stages[sub.parent_stage_id]
    open_subs = [tr.case.stages[s] for s in parent.sub_stage_ids if tr.case.stages[s].is_active]
    _follow_stops(tr, parent, open_subs, actor=actor)
