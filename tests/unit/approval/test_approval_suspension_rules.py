"""Suspending and resuming a stage on the domain itself (services/approval/domain/stages.py):
suspended time never counts (the stage gets back exactly what it had left, nothing when it
had run out), the clock runs again at the policy's maximum if that came first, a
maximum counted on an official year is not provisional, and each stop is published keyed by its
number and recorded with who, why and the note. The case comes from approval's real handlers."""

from __future__ import annotations

from datetime import timedelta

from services.approval.domain import Case
from services.approval.domain.audit import AuditRecord
from services.approval.domain.stages import Transition, resume_stage, suspend_stage
from shared.calendar import Limit, LimitUnit, load_default_calendar
from shared.contracts import StageResumed, StageSuspended
from tests.unit.approval.approval_fakes import MONDAY_10, make_deps
from tests.unit.approval.test_approval_workflow import HANDLER, submit

CAL = load_default_calendar()
STAGE = "C1:prereview"
ONE_DAY = Limit(value=1, unit=LimitUnit.NATURAL_DAYS)


async def open_case() -> Case:
    deps = make_deps()
    await submit(deps)
    case = await deps.store.get("C1")
    assert case is not None and case.stages[STAGE].is_active
    return case


def at(case: Case, when: timedelta) -> Transition:
    return Transition(case=case.model_copy(deep=True), now=MONDAY_10 + when, calendar=CAL)


async def test_a_stop_is_published_by_its_number_and_recorded_with_who_why_and_note() -> None:
    tr = at(await open_case(), timedelta(hours=1))
    stage = tr.case.stages[STAGE]
    suspend_stage(
        tr, stage, "onsite_survey", actor=HANDLER.subject, note="现场核查", max_length=None
    )
    [event] = tr.events
    assert event.key == ("C1", STAGE, "suspended", "1")
    assert isinstance(event.data, StageSuspended) and event.data.note == "现场核查"
    assert tr.audit == [
        AuditRecord(
            action="stage_suspended",
            actor="h-1",
            stage_id=STAGE,
            detail={"reason": "onsite_survey", "note": "现场核查"},
        )
    ]


async def test_resuming_gives_back_exactly_what_was_left() -> None:
    case = await open_case()
    due = case.stages[STAGE].due_at
    tr = at(case, timedelta(hours=1))
    suspend_stage(tr, tr.case.stages[STAGE], "testing", actor="h-1", note=None, max_length=None)
    later = at(tr.case, timedelta(hours=1))  # resumed at the same instant: nothing moves
    resume_stage(later, later.case.stages[STAGE], actor="h-1")
    assert later.case.stages[STAGE].due_at == due
    [event] = later.events
    assert event.key == ("C1", STAGE, "resumed", "1")
    assert isinstance(event.data, StageResumed)
    assert (event.data.due_at, event.data.due_provisional) == (due, False)


async def test_a_stage_stopped_at_its_deadline_gets_nothing_back() -> None:
    case = await open_case()
    due = case.stages[STAGE].due_at
    overdue = due - MONDAY_10  # stopped at the last instant: nothing left
    tr = at(case, overdue)
    suspend_stage(tr, tr.case.stages[STAGE], "testing", actor="h-1", note=None, max_length=None)
    assert tr.case.stages[STAGE].suspensions[-1].remaining_s == 0
    later = at(tr.case, overdue + timedelta(days=3))
    resume_stage(later, later.case.stages[STAGE], actor="h-1")
    assert later.case.stages[STAGE].due_at == due


async def test_the_clock_runs_again_at_the_maximum_when_that_came_first() -> None:
    case = await open_case()
    tr = at(case, timedelta(hours=1))
    suspend_stage(tr, tr.case.stages[STAGE], "hearing", actor="h-1", note=None, max_length=ONE_DAY)
    stop = tr.case.stages[STAGE].suspensions[-1]
    assert stop.ends_by is not None and not stop.ends_provisional  # 2026 is official
    later = at(tr.case, timedelta(days=5))
    resume_stage(later, later.case.stages[STAGE], actor="h-1")
    [event] = later.events
    assert isinstance(event.data, StageResumed)
    assert event.data.clock_resumed_at == stop.ends_by
    # what was left when it stopped, counted from the maximum, not from the resumption
    assert later.case.stages[STAGE].due_at < MONDAY_10 + timedelta(days=5)
