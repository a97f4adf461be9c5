"""An officer's pre-review (预审) on the domain itself: the outcome is published as the officer's,
not automatic, keyed by stage, outcome and supplement round (so a second round is a new event),
and recorded on the timeline as `prereview_<outcome>` by that officer on the stage with the
reasons. The case comes from approval's real handlers on fakes."""

from __future__ import annotations

from services.approval.domain import Action
from services.approval.domain.audit import AuditRecord
from services.approval.domain.inputs import ActionInput
from services.approval.domain.stages import Transition
from services.approval.domain.workflow import act
from shared.contracts import PreReviewDone
from tests.unit.approval.approval_fakes import MONDAY_10, make_deps
from tests.unit.approval.test_approval_workflow import HANDLER, do, submit

STAGE = "C1:prereview"


async def prereview(action: Action, params: ActionInput) -> Transition:
    deps = make_deps()
    await submit(deps)
    case = await do(deps, "C1", "prereview", Action.SIGN_IN, HANDLER)
    return act(
        case,
        STAGE,
        action,
        HANDLER,
        params,
        expected_version=case.version,
        now=MONDAY_10,
        calendar=deps.calendar,
        policy=deps.policy,
    )


def done_of(tr: Transition) -> tuple[tuple[str, ...], PreReviewDone]:
    [(key, data)] = [(e.key, e.data) for e in tr.events if isinstance(e.data, PreReviewDone)]
    return key, data


async def test_a_pass_is_the_officers_keyed_by_stage_outcome_and_round() -> None:
    tr = await prereview(Action.PASS, ActionInput(reasons=["材料齐全"]))
    key, done = done_of(tr)
    assert key == ("C1", STAGE, "done", "passed", "0")
    assert (done.outcome, done.officer, done.automatic) == ("passed", "h-1", False)
    assert (
        AuditRecord(
            action="prereview_passed", actor="h-1", stage_id=STAGE, detail={"reasons": ["材料齐全"]}
        )
        in tr.audit
    )


async def test_a_supplement_request_names_its_materials_and_its_round() -> None:
    params = ActionInput(reasons=["缺少场所证明"], materials=["premises"])
    tr = await prereview(Action.REQUEST_SUPPLEMENTS, params)
    key, done = done_of(tr)
    assert key == ("C1", STAGE, "done", "supplement_requested", "1")  # the round it opens
    assert (done.officer, done.automatic, done.requested_materials) == ("h-1", False, ["premises"])
    [record] = [a for a in tr.audit if a.action == "prereview_supplement_requested"]
    assert (record.actor, record.stage_id, record.detail) == (
        "h-1",
        STAGE,
        {"reasons": ["缺少场所证明"]},
    )
