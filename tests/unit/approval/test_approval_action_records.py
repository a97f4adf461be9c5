"""What each officer action leaves on the stage, the events and the timeline
(services/approval/domain/actions.py), through approval's real handlers on fakes: a sign-in's
officer and instant (docs/approval.md: "Every stage must be signed in ... publishes
`StageSignedIn`"), the officer, reasons and legal basis a closed stage keeps, the field a refused
input names (422 with field-level messages), a delivery marking the case delivered, and a plan
whose last step is not a decision approving with the policy's verification task."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.approval.domain import Action, InvalidAction
from shared.calendar import Limit
from shared.clock import FixedClock
from shared.contracts import StageKind, derived_event_id
from tests.unit.approval.approval_fakes import DEPT, MONDAY_10, make_deps, plan
from tests.unit.approval.test_approval_workflow import (
    APPROVER,
    HANDLER,
    PARALLEL_DEPTS,
    REVIEWER,
    do,
    officer,
    signed,
    store,
    submit,
)

BASIS = "《行政许可法》第三十八条"


async def test_a_sign_in_keeps_who_and_when_publishes_it_and_records_it() -> None:
    clock = FixedClock(MONDAY_10)
    deps = make_deps(clock)
    await submit(deps)
    clock.advance(timedelta(minutes=30))
    case = await do(deps, "C1", "prereview", Action.SIGN_IN, HANDLER)
    stage = case.stages["C1:prereview"]
    assert (stage.assignee, stage.signed_in_at) == ("h-1", MONDAY_10 + timedelta(minutes=30))
    [event] = store(deps).events("stage.signed_in")
    assert event.id == derived_event_id("C1", "C1:prereview", "signed_in")
    [entry] = [e for e in store(deps).entries["C1"] if e["action"] == "signed_in"]
    assert (entry["actor"], entry["stage_id"]) == ("h-1", "C1:prereview")


async def test_a_failed_pre_review_without_reasons_names_the_reasons_field() -> None:
    deps = make_deps()
    await submit(deps)  # a complete case: no findings to fall back on
    with pytest.raises(InvalidAction) as refused:
        await signed(deps, "C1", "prereview", Action.FAIL, HANDLER)
    assert (refused.value.field, refused.value.message) == (
        "reasons",
        "a failed pre-review needs reasons the applicant can read",
    )


async def test_a_failed_pre_review_keeps_the_officer_and_the_reasons() -> None:
    deps = make_deps()
    await submit(deps)
    case = await signed(deps, "C1", "prereview", Action.FAIL, HANDLER, reasons=["缺章", "缺页"])
    stage = case.stages["C1:prereview"]
    assert (stage.outcome, stage.closed_by, stage.reason) == ("failed", "h-1", "缺章; 缺页")


async def test_a_refusal_without_reasons_names_the_reasons_field() -> None:
    deps = make_deps()
    await submit(deps)
    await signed(deps, "C1", "prereview", Action.PASS, HANDLER)
    with pytest.raises(InvalidAction) as refused:
        await signed(deps, "C1", "accept", Action.REFUSE, HANDLER, reasons=[" "], legal_basis=BASIS)
    assert (refused.value.field, refused.value.message) == (
        "reasons",
        "a refusal or denial needs reasons",
    )


async def test_a_refused_stage_keeps_the_officer_reasons_and_legal_basis() -> None:
    deps = make_deps()
    await submit(deps)
    await signed(deps, "C1", "prereview", Action.PASS, HANDLER)
    case = await signed(
        deps,
        "C1",
        "accept",
        Action.REFUSE,
        HANDLER,
        reasons=["不属于本机关职权"],
        legal_basis=BASIS,
    )
    stage = case.stages["C1:accept"]
    assert (stage.outcome, stage.closed_by) == ("refused", "h-1")
    assert (stage.reason, stage.legal_basis) == ("不属于本机关职权", BASIS)


async def test_passing_and_approving_keep_the_officers_reasons() -> None:
    deps = make_deps()
    await submit(deps)
    await signed(deps, "C1", "prereview", Action.PASS, HANDLER)
    await signed(deps, "C1", "accept", Action.ACCEPT, HANDLER, reasons=["材料齐全"])
    await signed(deps, "C1", "review", Action.PASS, REVIEWER, reasons=["符合条件"])
    case = await signed(deps, "C1", "decide", Action.APPROVE, APPROVER, reasons=["准予"])
    assert [case.stages[f"C1:{s}"].reason for s in ("accept", "review", "decide")] == [
        "材料齐全",
        "符合条件",
        "准予",
    ]


async def test_a_delivery_marks_the_case_delivered_and_keeps_the_note() -> None:
    deps = make_deps()
    await submit(deps)
    await signed(deps, "C1", "prereview", Action.PASS, HANDLER)
    await signed(deps, "C1", "accept", Action.ACCEPT, HANDLER)
    await signed(deps, "C1", "review", Action.PASS, REVIEWER)
    case = await signed(deps, "C1", "decide", Action.APPROVE, APPROVER)
    assert case.delivered is False
    case = await signed(deps, "C1", "deliver", Action.DELIVER, HANDLER, note="窗口领取")
    assert case.delivered is True
    assert case.stages["C1:deliver"].reason == "窗口领取"


async def test_a_delivery_with_reasons_keeps_the_reasons() -> None:
    deps = make_deps()
    await submit(deps)
    await signed(deps, "C1", "prereview", Action.PASS, HANDLER)
    await signed(deps, "C1", "accept", Action.ACCEPT, HANDLER)
    await signed(deps, "C1", "review", Action.PASS, REVIEWER)
    await signed(deps, "C1", "decide", Action.APPROVE, APPROVER)
    case = await signed(
        deps, "C1", "deliver", Action.DELIVER, HANDLER, reasons=["邮寄送达"], note="窗口领取"
    )
    assert case.stages["C1:deliver"].reason == "邮寄送达"


async def test_a_plan_ending_in_delivery_approves_with_the_policys_verification() -> None:
    deps = make_deps(verification_working_days=3)
    steps = plan((StageKind.ACCEPT, [DEPT], "handler"), (StageKind.DELIVER, [DEPT], "handler"))
    await submit(deps, stage_plan=steps, commitment_used=True, commitment_allowed=True)
    await signed(deps, "C1", "prereview", Action.PASS, HANDLER)
    await signed(deps, "C1", "accept", Action.ACCEPT, HANDLER)
    case = await signed(deps, "C1", "deliver", Action.DELIVER, HANDLER)
    assert case.decision == "approved"
    assert case.stages["C1:verification"].limit == Limit(value=3)


async def test_a_parallel_decision_approved_opens_the_policys_verification() -> None:
    deps = make_deps(verification_working_days=4)
    other = PARALLEL_DEPTS[1]
    steps = plan(
        (StageKind.ACCEPT, [DEPT], "handler"),
        (StageKind.DECIDE, [DEPT, other], "approver", "any"),
    )
    await submit(deps, stage_plan=steps, commitment_used=True, commitment_allowed=True)
    await signed(deps, "C1", "prereview", Action.PASS, HANDLER)
    await signed(deps, "C1", "accept", Action.ACCEPT, HANDLER)
    approver = officer("a-2", "approver", other)
    case = await signed(deps, "C1", f"C1:decide:{other}", Action.APPROVE, approver)
    assert case.stages["C1:verification"].limit == Limit(value=4)


async def test_a_suspension_without_a_special_procedure_names_the_field_and_the_choices() -> None:
    deps = make_deps()
    await submit(deps)
    await signed(deps, "C1", "prereview", Action.PASS, HANDLER)
    with pytest.raises(InvalidAction) as refused:
        await signed(deps, "C1", "accept", Action.SUSPEND, HANDLER, suspension_reason="supplement")
    assert (refused.value.field, refused.value.message) == (
        "suspension_reason",
        "one of hearing, expert_review, testing, onsite_survey is required",
    )


async def test_a_suspension_keeps_the_officers_note_and_may_ask_for_exactly_the_maximum() -> None:
    deps = make_deps()
    await submit(deps)
    await signed(deps, "C1", "prereview", Action.PASS, HANDLER)
    case = await signed(
        deps,
        "C1",
        "accept",
        Action.SUSPEND,
        HANDLER,
        suspension_reason="onsite_survey",
        note="现场核查",
        max_length=Limit(value=10),  # the policy's maximum for onsite_survey
    )
    [suspension] = case.stages["C1:accept"].suspensions
    assert (suspension.note, suspension.max_length) == ("现场核查", Limit(value=10))
