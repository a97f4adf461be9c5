"""A stop counted in the stage's own unit (services/approval/domain/stages.py, docs/approval.md
"Suspension": "working hours count office hours"), on the domain with a case from approval's real
handlers on fakes: a working-hours stage keeps its office hours left and gets exactly those back,
a stage stopped with under a second left gets that fraction back, and a resumption whose deadline
reaches a year without a published holiday schedule says so on `StageResumed`."""

from __future__ import annotations

from datetime import datetime, timedelta

from services.approval.domain import Case
from services.approval.domain.stages import Transition, open_stage, resume_stage, suspend_stage
from shared.calendar import Limit, LimitUnit, load_default_calendar
from shared.clock import SHANGHAI
from shared.contracts import StageKind, StageResumed
from tests.unit.approval.approval_fakes import DEPT, MONDAY_10, make_deps
from tests.unit.approval.test_approval_workflow import submit

CAL = load_default_calendar()
STAGE = "C1:review"


async def opened(limit: Limit, at: datetime = MONDAY_10) -> Case:
    case = await submit(make_deps())
    tr = Transition(case=case, now=at, calendar=CAL)
    open_stage(
        tr,
        stage_id=STAGE,
        kind=StageKind.REVIEW,
        name="审查",
        department=DEPT,
        limit=limit,
        required_role="reviewer",
    )
    return tr.case


def stop_and_resume(case: Case, stop: datetime, resume: datetime) -> Transition:
    tr = Transition(case=case, now=stop, calendar=CAL)
    suspend_stage(tr, case.stages[STAGE], "testing", actor="r-1", note=None, max_length=None)
    later = Transition(case=case, now=resume, calendar=CAL)
    resume_stage(later, case.stages[STAGE], actor="r-1")
    return later


async def test_a_working_hours_stage_keeps_and_gets_back_its_office_hours() -> None:
    case = await opened(Limit(value=4, unit=LimitUnit.WORKING_HOURS))  # Monday 10:00
    stop = MONDAY_10 + timedelta(hours=1)  # 11:00: three office hours left
    resume = MONDAY_10 + timedelta(days=1)  # Tuesday 10:00
    stop_and_resume(case, stop, resume)
    stage = case.stages[STAGE]
    assert stage.suspensions[-1].remaining_s == 3 * 3600
    assert stage.due_at == CAL.add_working_hours(resume, 3.0)


async def test_a_stage_stopped_with_half_a_second_left_gets_it_back() -> None:
    case = await opened(Limit(value=1, unit=LimitUnit.NATURAL_DAYS))
    due = case.stages[STAGE].due_at
    resume = due + timedelta(hours=1)
    stop_and_resume(case, due - timedelta(milliseconds=500), resume)
    assert case.stages[STAGE].due_at == resume + timedelta(milliseconds=500)


async def test_a_resumption_reaching_an_unpublished_year_says_it_is_provisional() -> None:
    dec_21 = datetime(2026, 12, 21, 10, tzinfo=SHANGHAI)
    case = await opened(Limit(value=10), at=dec_21)
    later = stop_and_resume(case, dec_21 + timedelta(hours=1), dec_21 + timedelta(hours=2))
    [event] = later.events
    assert isinstance(event.data, StageResumed)
    assert event.data.due_provisional is True and case.stages[STAGE].due_provisional
