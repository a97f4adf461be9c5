"""Deadlines recomputed when a holiday schedule is published (the calendar changed).

A provisional deadline was computed from the statutory holidays alone. On a new calendar version
each open stage's deadline is computed again from its recorded opening and limit, replaying its
suspensions (the time each had left when it stopped, given back when it resumed), exactly as the
stage's life computed it the first time; a change publishes ``deadline.changed``.
"""

from __future__ import annotations

from datetime import datetime

from services.approval.domain.model import Case, Stage
from services.approval.domain.stages import Transition, clock_of, mark_due
from services.approval.domain.timing import Calendar
from shared.contracts.events import RECOMPUTED_ON_PUBLICATION, DeadlineChanged


def replay_due(calendar: Calendar, stage: Stage) -> tuple[datetime, list[float]]:
    """The stage's deadline on ``calendar`` and what each of its suspensions had left."""
    return clock_of(stage).replay(calendar)


def needs_recompute(stage: Stage, calendar: Calendar) -> bool:
    """An open provisional deadline (or suspension maximum) computed on a version this calendar
    has since replaced (a version it never ran may be newer: another replica's, left alone)."""
    provisional = stage.due_provisional or any(s.ends_provisional for s in stage.suspensions)
    return stage.is_active and provisional and calendar.superseded(stage.due_calendar)


def recompute_deadlines(tr: Transition) -> None:
    """Recompute every open provisional deadline of the case computed on another version."""
    version = tr.calendar.version
    for stage in tr.case.active_stages():
        if not needs_recompute(stage, tr.calendar):
            continue
        old_due, was_provisional = stage.due_at, stage.due_provisional
        for suspension in stage.suspensions:  # a stop's maximum is counted on the calendar too
            if suspension.max_length is not None:
                suspension.ends_by = tr.calendar.deadline(
                    suspension.started_at, suspension.max_length
                )
                suspension.ends_provisional = tr.calendar.is_provisional(
                    suspension.max_length, suspension.started_at, suspension.ends_by
                )
        stage.due_at, remaining = replay_due(tr.calendar, stage)
        for suspension, left in zip(stage.suspensions, remaining, strict=True):
            suspension.remaining_s = left
        mark_due(tr.calendar, stage)
        if stage.due_at == old_due and stage.due_provisional == was_provisional:
            continue
        tr.emit(
            DeadlineChanged(
                case_id=tr.case.case_id,
                kind="stage",
                stage_id=stage.stage_id,
                department=stage.department,
                region=stage.region,
                assignee=stage.assignee,
                old_due_at=old_due,
                new_due_at=stage.due_at,
                due_provisional=stage.due_provisional,
                calendar_version=version,
                reason=RECOMPUTED_ON_PUBLICATION,
                # the applicant follows plain stages and each parallel step as one (its parent)
                applicant_told=stage.parent_stage_id is None,
                changed_at=tr.now,
            ),
            stage.stage_id,
            "deadline",
            version,
        )
        tr.record(
            "deadline_changed",
            "system",
            stage.stage_id,
            old_due_at=old_due.isoformat(),
            new_due_at=stage.due_at.isoformat(),
            calendar_version=version,
        )


def recompute_case(case: Case, *, now: datetime, calendar: Calendar) -> Transition:
    """The case with its provisional deadlines counted on ``calendar``; the version moves only
    when a deadline or its provisional mark changed (an officer's open form stays valid)."""
    tr = Transition(case=case.model_copy(deep=True), now=now, calendar=calendar)
    recompute_deadlines(tr)
    if tr.changed:
        tr.case.version += 1
    return tr
