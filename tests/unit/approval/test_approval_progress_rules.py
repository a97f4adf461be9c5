"""How a case moves on (services/approval/domain/progress.py), through approval's real handlers
on fakes: an approval says which stages still follow (`CaseDecided.stages_to_follow`, what the
monitor waits for: the plan's remaining steps, and the commitment verification), a plan without
a decide stage approves when its last step passes, a plan without an acceptance step starts the
case's own limits when pre-review passes (docs/approval.md, "Plan stages"), and the decision
and the case's end are published once per decision and recorded by the system on the
timeline."""

from __future__ import annotations

from typing import Any

from services.approval.domain import Action, CaseStatus
from shared.calendar import Limit
from shared.contracts import StageKind, derived_event_id
from tests.unit.approval.approval_fakes import DEPT, make_deps, plan
from tests.unit.approval.test_approval_workflow import (
    APPROVER,
    HANDLER,
    REVIEWER,
    signed,
    store,
    submit,
)

NO_DECIDE = plan(
    (StageKind.ACCEPT, [DEPT], "handler"),
    (StageKind.REVIEW, [DEPT], "reviewer"),
)


def entries(deps: Any, action: str) -> list[dict[str, Any]]:
    return [e for e in store(deps).entries["C1"] if e["action"] == action]


async def test_an_approval_at_the_decide_step_says_delivery_and_verification_follow() -> None:
    deps = make_deps()
    await submit(deps, commitment_used=True, commitment_allowed=True)
    await signed(deps, "C1", "prereview", Action.PASS, HANDLER)
    await signed(deps, "C1", "accept", Action.ACCEPT, HANDLER)
    await signed(deps, "C1", "review", Action.PASS, REVIEWER)
    case = await signed(deps, "C1", "decide", Action.APPROVE, APPROVER)
    [decided] = store(deps).events("case.decided")
    assert decided.id == derived_event_id("C1", "decided", "approved")
    assert decided.data["stages_to_follow"] == ["deliver", "verification"]
    assert case.stages["C1:verification"].name == "告知承诺核查"
    [entry] = entries(deps, "case_decided")
    assert entry["actor"] == "system"
    assert entry["detail"] == {"decision": "approved", "licence_ref": "EL-500000-SCJ-001-C1"}


async def test_without_a_commitment_only_the_remaining_plan_steps_follow() -> None:
    deps = make_deps()
    await submit(deps, issues_licence=False)
    await signed(deps, "C1", "prereview", Action.PASS, HANDLER)
    await signed(deps, "C1", "accept", Action.ACCEPT, HANDLER)
    await signed(deps, "C1", "review", Action.PASS, REVIEWER)
    await signed(deps, "C1", "decide", Action.APPROVE, APPROVER)
    [decided] = store(deps).events("case.decided")
    assert decided.data["stages_to_follow"] == ["deliver"]
    [entry] = entries(deps, "case_decided")
    assert entry["detail"] == {"decision": "approved", "licence_ref": None}


async def test_a_plan_without_a_decide_step_approves_when_its_last_step_passes() -> None:
    deps = make_deps(verification_working_days=7, verification_role="inspector")
    await submit(deps, stage_plan=NO_DECIDE, commitment_used=True, commitment_allowed=True)
    await signed(deps, "C1", "prereview", Action.PASS, HANDLER)
    await signed(deps, "C1", "accept", Action.ACCEPT, HANDLER)
    case = await signed(deps, "C1", "review", Action.PASS, REVIEWER)
    assert case.decision == "approved" and case.status == CaseStatus.VERIFICATION
    [decided] = store(deps).events("case.decided")
    assert decided.data["stages_to_follow"] == ["verification"]  # no plan step left
    verification = case.stages["C1:verification"]
    assert (verification.limit, verification.required_role) == (Limit(value=7), "inspector")
    [closed] = entries(deps, "case_closed")
    assert (closed["actor"], closed["detail"]) == ("system", {"status": "verification"})


async def test_a_finished_plan_closes_the_case_on_the_timeline_by_the_system() -> None:
    deps = make_deps()
    await submit(deps, stage_plan=NO_DECIDE, issues_licence=False)
    await signed(deps, "C1", "prereview", Action.PASS, HANDLER)
    await signed(deps, "C1", "accept", Action.ACCEPT, HANDLER)
    case = await signed(deps, "C1", "review", Action.PASS, REVIEWER)
    assert case.status == CaseStatus.COMPLETED
    [decided] = store(deps).events("case.decided")
    assert decided.data["stages_to_follow"] == []
    [closed] = entries(deps, "case_closed")
    assert (closed["actor"], closed["detail"]) == ("system", {"status": "completed"})


async def test_without_an_acceptance_step_passing_pre_review_starts_the_cases_limits() -> None:
    deps = make_deps()
    await submit(deps, stage_plan=plan((StageKind.REVIEW, [DEPT], "reviewer")))
    case = await signed(deps, "C1", "prereview", Action.PASS, HANDLER)
    assert {"C1:case_promised", "C1:case_statutory", "C1:review"} <= set(case.stages)
    assert case.stages["C1:case_promised"].is_active


async def test_with_an_acceptance_step_pre_review_leaves_the_cases_limits_to_it() -> None:
    deps = make_deps()
    await submit(deps)
    case = await signed(deps, "C1", "prereview", Action.PASS, HANDLER)
    assert "C1:case_promised" not in case.stages
    case = await signed(deps, "C1", "accept", Action.ACCEPT, HANDLER)
    assert case.stages["C1:case_promised"].is_active
