"""A recomputation that changes nothing for one stage (services/approval/domain/recompute.py:
"a change publishes `deadline.changed`"), on the domain with a case from approval's real handlers
on fakes: a stage in natural days whose stop's maximum reached the unpublished year is looked at
again on the published calendar, but its own deadline and mark stay, so nothing is published for
it, and the stages after it are still recomputed."""

from __future__ import annotations

from datetime import timedelta

from services.approval.domain.recompute import recompute_case
from services.approval.domain.stages import Transition, open_stage, suspend_stage
from shared.calendar import Limit, LimitUnit
from shared.contracts import DeadlineChanged, StageKind
from tests.unit.approval.approval_fakes import DEPT, make_deps
from tests.unit.approval.test_approval_recompute import DEC_21, FIXTURE_2027
from tests.unit.approval.test_approval_workflow import submit


async def test_only_a_changed_deadline_is_published_and_the_next_stages_still_counted() -> None:
    deps = make_deps()
    case = await submit(deps, at=DEC_21)
    tr = Transition(case=case, now=DEC_21, calendar=deps.calendar)
    for stage_id, limit in (
        ("C1:review", Limit(value=30, unit=LimitUnit.NATURAL_DAYS)),  # never provisional
        ("C1:decide", Limit(value=10)),  # into 2027: provisional
    ):
        kind = StageKind.REVIEW if stage_id == "C1:review" else StageKind.DECIDE
        open_stage(
            tr,
            stage_id=stage_id,
            kind=kind,
            name=kind.value,
            department=DEPT,
            limit=limit,
            required_role="reviewer",
        )
    review = case.stages["C1:review"]
    tr.now = DEC_21 + timedelta(hours=1)
    suspend_stage(tr, review, "testing", actor="r-1", note=None, max_length=Limit(value=10))
    assert review.suspensions[-1].ends_provisional and not review.due_provisional
    assert case.stages["C1:decide"].due_provisional

    assert deps.calendar.publish(FIXTURE_2027)
    tr = recompute_case(case, now=DEC_21 + timedelta(hours=2), calendar=deps.calendar)
    changed = [e.data for e in tr.events if isinstance(e.data, DeadlineChanged)]
    assert [c.stage_id for c in changed] == ["C1:decide"]
    assert tr.case.stages["C1:review"].due_at == review.due_at
