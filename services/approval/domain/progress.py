"""How a case moves on when a stage passes or fails: the next plan step, parallel tallies,
the decision (with its e-licence), and the commitment verification task."""

from __future__ import annotations

from services.approval.domain.clocks import close_case_clocks, open_case_clocks
from services.approval.domain.inputs import Policy
from services.approval.domain.model import CaseStatus, Stage
from services.approval.domain.stages import (
    Transition,
    cancel_active,
    close_stage,
    open_plan_step,
    open_stage,
)
from shared.contracts.common import ParallelMode, StageKind
from shared.contracts.events import CaseDecided


def sub_task_closed(
    tr: Transition, sub: Stage, pol: Policy, reasons: list[str], basis: str | None
) -> None:
    """Mode all (会签) passes when every sub-task approves and fails on the first denial;
    mode any (或签) passes on the first approval and fails only when every sub-task denied."""
    assert sub.parent_stage_id is not None
    parent = tr.case.stages[sub.parent_stage_id]
    subs = [tr.case.stages[s] for s in parent.sub_stage_ids]
    approved = [s for s in subs if s.outcome == "approved"]
    denied = [s for s in subs if s.outcome in ("denied", "refused")]
    if parent.parallel_mode == ParallelMode.ANY:
        passed = bool(approved)
        failed = len(denied) == len(subs)
    else:
        passed = len(approved) == len(subs)
        failed = bool(denied)
    if passed:
        for s in subs:
            if s.is_active:
                close_stage(tr, s, "cancelled", officer=None, reason="parallel stage passed")
        outcome = "approved" if parent.kind == StageKind.DECIDE else "passed"
        close_stage(
            tr, parent, outcome, officer=None, reason=f"{len(approved)}/{len(subs)} approved"
        )
        stage_passed(tr, parent, pol)
    elif failed:
        outcome = "refused" if parent.kind == StageKind.ACCEPT else "denied"
        for s in subs:
            if s.is_active:
                close_stage(tr, s, "cancelled", officer=None, reason="parallel stage denied")
        close_stage(tr, parent, outcome, officer=None, reason=joined(reasons), legal_basis=basis)
        decide(tr, outcome, reasons, basis, sub.department)


def stage_passed(tr: Transition, stage: Stage, pol: Policy) -> None:
    if stage.kind == StageKind.ACCEPT:
        open_case_clocks(tr)  # 受理: the case's promised and statutory limits start
    if stage.kind == StageKind.DECIDE:
        approve_case(tr, stage.department, pol, after=stage.plan_index)
    next_step(tr, stage.plan_index, pol)


def next_step(tr: Transition, index: int | None, pol: Policy) -> None:
    case = tr.case
    following = 0 if index is None else index + 1
    if index is None and all(step.stage != StageKind.ACCEPT for step in case.plan):
        open_case_clocks(tr)  # no acceptance step: passing pre-review accepts the case
    if following < len(case.plan):
        open_plan_step(tr, following)
        return
    close_case_clocks(tr, "completed")
    if case.decision is None:  # a plan without a decide stage: finishing it approves
        approve_case(tr, case.department, pol, after=len(case.plan))
    verifying = any(s.kind == StageKind.VERIFICATION and s.is_active for s in case.stages.values())
    case.status = CaseStatus.VERIFICATION if verifying else CaseStatus.COMPLETED
    tr.record("case_closed", "system", status=case.status.value)


def approve_case(tr: Transition, department: str, pol: Policy, *, after: int | None) -> None:
    """The case is approved at plan step ``after``: the remaining steps (delivery) and the
    commitment verification still follow."""
    case = tr.case
    if case.issues_licence:
        case.licence_ref = f"EL-{case.item_code}-{case.case_id}"
    following = [step.stage for step in case.plan[(after + 1 if after is not None else 0) :]]
    if case.commitment_used:
        following.append(StageKind.VERIFICATION)
    decide(tr, "approved", [], None, department, follow=following)
    if case.commitment_used:
        open_stage(
            tr,
            stage_id=f"{case.case_id}:{StageKind.VERIFICATION.value}",
            kind=StageKind.VERIFICATION,
            name="告知承诺核查",
            department=department,
            limit=pol.verification_limit,
            required_role=pol.verification_role,
        )


def decide(
    tr: Transition,
    decision: str,
    reasons: list[str],
    basis: str | None,
    department: str,
    *,
    follow: list[StageKind] | None = None,
) -> None:
    case = tr.case
    case.decision = decision
    terminal = {
        "prereview_failed": CaseStatus.PREREVIEW_FAILED,
        "refused": CaseStatus.REFUSED,
        "denied": CaseStatus.DENIED,
        "revoked": CaseStatus.REVOKED,
        "lapsed": CaseStatus.LAPSED,
    }
    if decision in terminal:
        case.status = terminal[decision]
        close_case_clocks(tr, "completed")  # the case ended: its limits stop with it
        cancel_active(tr)
    tr.emit(
        CaseDecided(
            case_id=case.case_id,
            decision=decision,
            reasons=reasons,
            legal_basis=basis,
            licence_ref=case.licence_ref if decision == "approved" else None,
            department=department,
            item_code=case.item_code,
            region=case.region,
            decided_at=tr.now,
            stages_to_follow=follow or [],
        ),
        "decided",
        decision,
    )
    tr.record("case_decided", "system", decision=decision, licence_ref=case.licence_ref)


def joined(reasons: list[str]) -> str | None:
    return "; ".join(reasons) if reasons else None
