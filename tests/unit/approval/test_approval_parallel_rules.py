"""A parallel step's sub-tasks closing (progress.sub_task_closed): when the step passes, the
sub-tasks still open are cancelled as "parallel stage passed" and the step closes with the tally
("1/2 approved"), as approved for a decision; when it fails, they are cancelled as "parallel
stage denied" and the step closes denied with the denial's reasons and legal basis, which the
decision carries too. Through approval's real handlers on fakes."""

from __future__ import annotations

from services.approval.domain import Action, CaseStatus
from shared.contracts import StageKind
from tests.unit.approval.approval_fakes import DEPT, make_deps, plan
from tests.unit.approval.test_approval_workflow import (
    HANDLER,
    PARALLEL_DEPTS,
    REVIEWER,
    dept_reviewer,
    officer,
    signed,
    store,
    submit,
)

OTHER = PARALLEL_DEPTS[1]


async def test_a_parallel_decision_passes_as_approved_with_its_tally() -> None:
    deps = make_deps()
    steps = plan(
        (StageKind.ACCEPT, [DEPT], "handler"),
        (StageKind.REVIEW, [DEPT], "reviewer"),
        (StageKind.DECIDE, [DEPT, OTHER], "approver", "any"),
    )
    await submit(deps, stage_plan=steps, issues_licence=False)
    await signed(deps, "C1", "prereview", Action.PASS, HANDLER)
    await signed(deps, "C1", "accept", Action.ACCEPT, HANDLER)
    await signed(deps, "C1", "review", Action.PASS, REVIEWER)
    approver = officer("a-2", "approver", OTHER)
    case = await signed(deps, "C1", f"C1:decide:{OTHER}", Action.APPROVE, approver)
    parent, cancelled = case.stages["C1:decide"], case.stages[f"C1:decide:{DEPT}"]
    assert (parent.outcome, parent.reason) == ("approved", "1/2 approved")
    assert (cancelled.outcome, cancelled.reason) == ("cancelled", "parallel stage passed")
    assert case.decision == "approved"


async def test_a_parallel_review_denied_closes_with_the_denials_reasons_and_basis() -> None:
    deps = make_deps()
    await submit(
        deps,
        stage_plan=plan(
            (StageKind.ACCEPT, [DEPT], "handler"),
            (StageKind.REVIEW, PARALLEL_DEPTS, "reviewer", "all"),
            (StageKind.DECIDE, [DEPT], "approver"),
        ),
    )
    await signed(deps, "C1", "prereview", Action.PASS, HANDLER)
    await signed(deps, "C1", "accept", Action.ACCEPT, HANDLER)
    case = await signed(
        deps,
        "C1",
        f"C1:review:{OTHER}",
        Action.DENY,
        dept_reviewer(1),
        reasons=["不符合规划条件", "缺少消防意见"],
        legal_basis="《城乡规划法》第四十条",
    )
    assert case.status == CaseStatus.DENIED
    parent = case.stages["C1:review"]
    assert (parent.outcome, parent.reason, parent.legal_basis) == (
        "denied",
        "不符合规划条件; 缺少消防意见",
        "《城乡规划法》第四十条",
    )
    for d in (PARALLEL_DEPTS[0], PARALLEL_DEPTS[2]):
        sub = case.stages[f"C1:review:{d}"]
        assert (sub.outcome, sub.reason) == ("cancelled", "parallel stage denied")
    [decided] = store(deps).events("case.decided")
    assert decided.data["legal_basis"] == "《城乡规划法》第四十条"


async def test_a_parallel_approval_under_commitment_opens_the_policys_verification() -> None:
    deps = make_deps()
    steps = plan(
        (StageKind.ACCEPT, [DEPT], "handler"),
        (StageKind.REVIEW, [DEPT], "reviewer"),
        (StageKind.DECIDE, [DEPT, OTHER], "approver", "any"),
    )
    await submit(
        deps, stage_plan=steps, issues_licence=False, commitment_used=True, commitment_allowed=True
    )
    await signed(deps, "C1", "prereview", Action.PASS, HANDLER)
    await signed(deps, "C1", "accept", Action.ACCEPT, HANDLER)
    await signed(deps, "C1", "review", Action.PASS, REVIEWER)
    approver = officer("a-2", "approver", OTHER)
    case = await signed(deps, "C1", f"C1:decide:{OTHER}", Action.APPROVE, approver)
    verification = case.stages["C1:verification"]
    assert verification.is_active
    assert (verification.limit, verification.required_role) == (
        deps.policy.verification_limit,
        deps.policy.verification_role,
    )
