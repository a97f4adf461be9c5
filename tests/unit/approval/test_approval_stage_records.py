"""Opening and closing a stage on the domain itself (services/approval/domain/stages.py): what
`StageOpened` and `StageClosed` carry (docs/approval.md, "Plan stages"; "Closing publishes
`StageClosed` (outcome, officer, reason, legal_basis)"), what the timeline records of each, the
region a department works in (cross-region handling), the cancellation of what a decision leaves
open, and a suspension's maximum as the stage's clock sees it. The case comes from approval's
real handlers."""

from __future__ import annotations

from datetime import timedelta

from services.approval.domain import Case
from services.approval.domain.audit import AuditRecord
from services.approval.domain.stages import (
    Transition,
    cancel_active,
    clock_of,
    close_stage,
    department_region,
    open_plan_step,
    open_stage,
    resume_stage,
    suspend_stage,
)
from shared.calendar import Limit, LimitUnit, load_default_calendar
from shared.contracts import StageClosed, StageKind, StageOpened
from tests.unit.approval.approval_fakes import DEPT, MONDAY_10, make_deps, plan
from tests.unit.approval.test_approval_workflow import submit

CAL = load_default_calendar()
PREREVIEW = "C1:prereview"


async def open_case(**kw: object) -> Case:
    deps = make_deps()
    await submit(deps, **kw)
    case = await deps.store.get("C1")
    assert case is not None
    return case


def at(case: Case, when: timedelta = timedelta(hours=1)) -> Transition:
    return Transition(case=case.model_copy(deep=True), now=MONDAY_10 + when, calendar=CAL)


async def test_an_opened_stage_is_published_with_its_role_and_the_cases_limits() -> None:
    tr = at(await open_case())
    stage = open_stage(
        tr,
        stage_id="C1:review",
        kind=StageKind.REVIEW,
        name="审查",
        department=DEPT,
        limit=Limit(value=3),
        required_role="reviewer",
    )
    [event] = tr.events
    assert event.key == ("C1", "C1:review", "opened")
    assert isinstance(event.data, StageOpened)
    assert event.data.required_role == "reviewer"
    assert event.data.promised_limit == Limit(value=10)
    assert event.data.statutory_limit == Limit(value=20)
    assert (stage.due_calendar, stage.due_provisional) == (CAL.version, False)


async def test_the_timeline_records_an_opening_by_the_system_with_kind_department_due_and_limit() -> (
    None
):
    tr = at(await open_case())
    stage = open_stage(
        tr,
        stage_id="C1:review",
        kind=StageKind.REVIEW,
        name="审查",
        department=DEPT,
        limit=Limit(value=3, unit=LimitUnit.WORKING_HOURS),
        required_role="reviewer",
    )
    assert tr.audit == [
        AuditRecord(
            action="stage_opened",
            actor="system",
            stage_id="C1:review",
            detail={
                "kind": "review",
                "department": DEPT,
                "due_at": stage.due_at.isoformat(),
                "limit": "3 working_hours",
            },
        )
    ]


def test_a_department_works_in_the_region_its_code_starts_with() -> None:
    assert department_region("510000-SCJ", "500000") == "510000"
    assert department_region("510000-SCJ-01", "500000") == "510000"
    # no six-digit region code in front: the case's region
    assert department_region("SCJ", "500000") == "500000"
    assert department_region("ABCDEF-SCJ", "500000") == "500000"
    assert department_region("5100001-SCJ", "500000") == "500000"
    assert department_region("51000-SCJ", "500000") == "500000"


async def test_a_department_without_a_region_code_works_in_the_cases_region() -> None:
    tr = at(await open_case())
    stage = open_stage(
        tr,
        stage_id="C1:review",
        kind=StageKind.REVIEW,
        name="审查",
        department="SCJ",
        limit=Limit(value=3),
        required_role="reviewer",
    )
    assert stage.region == tr.case.region == "500000"


async def test_each_sub_task_of_a_parallel_step_knows_its_plan_step() -> None:
    steps = plan(
        (StageKind.ACCEPT, [DEPT], "handler"),
        (StageKind.REVIEW, [DEPT, "510000-ZJJ"], "reviewer"),
    )
    tr = at(await open_case(stage_plan=steps))
    parent = open_plan_step(tr, 1)
    subs = [tr.case.stages[s] for s in parent.sub_stage_ids]
    assert [s.stage_id for s in subs] == ["C1:review:500000-SCJ", "C1:review:510000-ZJJ"]
    assert [(s.plan_index, s.region) for s in subs] == [(1, "500000"), (1, "510000")]


async def test_closing_publishes_and_records_the_outcome_with_reason_and_legal_basis() -> None:
    tr = at(await open_case())
    stage = tr.case.stages[PREREVIEW]
    close_stage(tr, stage, "failed", officer="h-1", reason="材料不全", legal_basis="第三十二条")
    assert (stage.reason, stage.legal_basis, stage.closed_by) == ("材料不全", "第三十二条", "h-1")
    [event] = tr.events
    assert event.key == ("C1", PREREVIEW, "closed")
    assert isinstance(event.data, StageClosed)
    assert (event.data.reason, event.data.legal_basis) == ("材料不全", "第三十二条")
    assert tr.audit == [
        AuditRecord(
            action="stage_closed",
            actor="h-1",
            stage_id=PREREVIEW,
            detail={"outcome": "failed", "reason": "材料不全", "legal_basis": "第三十二条"},
        )
    ]


async def test_a_decision_cancels_what_is_still_open_saying_why() -> None:
    tr = at(await open_case())
    cancel_active(tr)
    stage = tr.case.stages[PREREVIEW]
    assert (stage.outcome, stage.reason, stage.closed_by) == ("cancelled", "case decided", None)
    closed = [e.data for e in tr.events if isinstance(e.data, StageClosed)]
    assert [(c.stage_id, c.reason) for c in closed] == [(PREREVIEW, "case decided")]
    assert tr.audit[-1].actor == "system"


async def test_the_clock_of_a_stage_resumed_after_its_maximum_ran_again_at_the_maximum() -> None:
    tr = at(await open_case())
    stage = tr.case.stages[PREREVIEW]
    one_day = Limit(value=1, unit=LimitUnit.NATURAL_DAYS)
    suspend_stage(tr, stage, "testing", actor="h-1", note=None, max_length=one_day)
    ends_by = stage.suspensions[-1].ends_by
    later = at(tr.case, timedelta(days=3))
    stage = later.case.stages[PREREVIEW]
    resume_stage(later, stage, actor="h-1")
    assert ends_by is not None and clock_of(stage).running_since() == ends_by
    # replaying the stage's clock (what a recomputation does) finds the deadline its life gave it
    assert clock_of(stage).replay(CAL)[0] == stage.due_at
