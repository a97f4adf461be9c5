"""One function per officer action on a stage, and the table ``act`` dispatches through."""

from __future__ import annotations

from collections.abc import Callable

from services.approval.domain.clocks import sync_case_clocks, sync_parent_clock
from services.approval.domain.incidents import applicant_incident
from services.approval.domain.inputs import ActionInput, Policy
from services.approval.domain.model import (
    SPECIAL_PROCEDURES,
    Action,
    CaseStatus,
    InvalidAction,
    Stage,
)
from services.approval.domain.progress import (
    decide,
    joined,
    next_step,
    stage_passed,
    sub_task_closed,
)
from services.approval.domain.stages import (
    Transition,
    cancel_active,
    close_stage,
    resume_stage,
    suspend_stage,
)
from shared.calendar.limits import Limit
from shared.contracts.common import Severity, StageKind
from shared.contracts.events import PreReviewDone, StageSignedIn


def _sign_in(tr: Transition, stage: Stage, officer: str, _p: ActionInput, pol: Policy) -> None:
    stage.assignee = officer
    stage.signed_in_at = tr.now
    tr.emit(
        StageSignedIn(
            case_id=tr.case.case_id,
            stage_id=stage.stage_id,
            officer=officer,
            department=stage.department,
            signed_in_at=tr.now,
        ),
        stage.stage_id,
        "signed_in",
    )
    tr.record("signed_in", officer, stage.stage_id)


def _suspend(tr: Transition, stage: Stage, officer: str, p: ActionInput, pol: Policy) -> None:
    if p.suspension_reason not in SPECIAL_PROCEDURES:
        raise InvalidAction(
            "suspension_reason", f"one of {', '.join(SPECIAL_PROCEDURES)} is required"
        )
    reason = p.suspension_reason
    assert reason is not None
    max_length = bounded_suspension(reason, p.max_length, tr.case.suspension_max, pol)
    suspend_stage(tr, stage, reason, actor=officer, note=p.note, max_length=max_length)
    sync_parent_clock(tr, stage, actor=officer)
    sync_case_clocks(tr, actor=officer)


def bounded_suspension(
    reason: str, asked: Limit | None, item_max: dict[str, Limit], pol: Policy
) -> Limit | None:
    """The maximum for the kind of procedure (the item's, else the policy's); an officer may
    shorten it, never exceed it (a suspension that never ends would stop supervision)."""
    maximum = item_max.get(reason) or pol.suspension_max.get(reason)
    if asked is None or maximum is None:
        return asked or maximum
    if asked.unit != maximum.unit or asked.value > maximum.value:
        raise InvalidAction(
            "max_length",
            f"at most {maximum.value} {maximum.unit.value} for {reason} (the policy's maximum)",
        )
    return asked


def _resume(tr: Transition, stage: Stage, officer: str, _p: ActionInput, pol: Policy) -> None:
    resume_stage(tr, stage, actor=officer)
    sync_parent_clock(tr, stage, actor=officer)
    sync_case_clocks(tr, actor=officer)


def _prereview_done(
    tr: Transition,
    stage: Stage,
    outcome: str,
    officer: str,
    reasons: list[str],
    materials: list[str] | None = None,
) -> None:
    case = tr.case
    tr.emit(
        PreReviewDone(
            case_id=case.case_id,
            outcome=outcome,
            reasons=reasons,
            requested_materials=materials or [],
            officer=officer,
            automatic=False,
            department=stage.department,
            region=stage.region,
            decided_at=tr.now,
        ),
        stage.stage_id,
        "done",
        outcome,
        str(case.supplement_rounds),
    )
    tr.record("prereview_" + outcome, officer, stage.stage_id, reasons=reasons)


def _pass(tr: Transition, stage: Stage, officer: str, p: ActionInput, pol: Policy) -> None:
    if stage.kind == StageKind.PREREVIEW:
        _prereview_done(tr, stage, "passed", officer, p.reasons)
        close_stage(tr, stage, "passed", officer=officer)
        tr.case.status = CaseStatus.IN_PROGRESS
        next_step(tr, None, pol)
        return
    close_stage(tr, stage, "passed", officer=officer, reason=joined(p.reasons))
    stage_passed(tr, stage, pol)


def _fail(tr: Transition, stage: Stage, officer: str, p: ActionInput, pol: Policy) -> None:
    reasons = p.reasons or list(tr.case.findings)
    if not reasons:
        raise InvalidAction("reasons", "a failed pre-review needs reasons the applicant can read")
    _prereview_done(tr, stage, "failed", officer, reasons)
    close_stage(tr, stage, "failed", officer=officer, reason=joined(reasons))
    decide(tr, "prereview_failed", reasons, None, stage.department)


def _request_supplements(
    tr: Transition, stage: Stage, officer: str, p: ActionInput, pol: Policy
) -> None:
    if not p.materials:
        raise InvalidAction("materials", "name the materials the applicant must supplement")
    if tr.case.supplement_rounds >= 1 and not (p.note or "").strip():
        # 一次告知: everything missing is asked for at once; asking again must say why.
        raise InvalidAction(
            "note", "a second supplement request must say why the first did not ask for it"
        )
    tr.case.supplement_rounds += 1
    reasons = p.reasons or [f"请补正材料：{', '.join(p.materials)}"]
    _prereview_done(tr, stage, "supplement_requested", officer, reasons, p.materials)
    note = joined(reasons) if tr.case.supplement_rounds == 1 else f"{joined(reasons)}（{p.note}）"
    wait = tr.case.supplement_max or pol.supplement_max  # the item's, else the policy's
    suspend_stage(tr, stage, "supplement", actor=officer, note=note, max_length=wait)
    tr.case.status = CaseStatus.AWAITING_SUPPLEMENT


def _refuse_or_deny(
    tr: Transition, stage: Stage, officer: str, p: ActionInput, pol: Policy
) -> None:
    reasons, basis = _reasons_and_basis(p)
    outcome = "refused" if stage.kind == StageKind.ACCEPT else "denied"
    close_stage(tr, stage, outcome, officer=officer, reason=joined(reasons), legal_basis=basis)
    if stage.parent_stage_id is not None:
        sub_task_closed(tr, stage, pol, reasons, basis)
        return
    decide(tr, outcome, reasons, basis, stage.department)


def _approve(tr: Transition, stage: Stage, officer: str, p: ActionInput, pol: Policy) -> None:
    outcome = "approved" if stage.kind == StageKind.DECIDE or stage.parent_stage_id else "passed"
    close_stage(tr, stage, outcome, officer=officer, reason=joined(p.reasons))
    if stage.parent_stage_id is not None:
        sub_task_closed(tr, stage, pol, [], None)
        return
    stage_passed(tr, stage, pol)


def _deliver(tr: Transition, stage: Stage, officer: str, p: ActionInput, pol: Policy) -> None:
    close_stage(tr, stage, "completed", officer=officer, reason=joined(p.reasons) or p.note)
    tr.case.delivered = True
    stage_passed(tr, stage, pol)


def _verify(tr: Transition, stage: Stage, officer: str, p: ActionInput, pol: Policy) -> None:
    if p.commitment_true is None:
        raise InvalidAction("commitment_true", "record whether the commitment proved true")
    case = tr.case
    if p.commitment_true:
        close_stage(tr, stage, "passed", officer=officer, reason=p.note)
        if case.status == CaseStatus.VERIFICATION:
            case.status = CaseStatus.COMPLETED
        return
    reasons = p.reasons or ["告知承诺内容经核查不实"]
    close_stage(tr, stage, "failed", officer=officer, reason=joined(reasons))
    cancel_active(tr)
    decide(tr, "revoked", reasons, p.legal_basis, stage.department)
    applicant_incident(
        tr,
        pol,
        incident_type="false_commitment",
        severity=Severity.SERIOUS,
        description=joined(reasons),
        stage_id=stage.stage_id,
        actor=officer,
    )


ACTIONS: dict[Action, Callable[[Transition, Stage, str, ActionInput, Policy], None]] = {
    Action.SIGN_IN: _sign_in,
    Action.SUSPEND: _suspend,
    Action.RESUME: _resume,
    Action.PASS: _pass,
    Action.FAIL: _fail,
    Action.REQUEST_SUPPLEMENTS: _request_supplements,
    Action.ACCEPT: _approve,
    Action.REFUSE: _refuse_or_deny,
    Action.APPROVE: _approve,
    Action.DENY: _refuse_or_deny,
    Action.DELIVER: _deliver,
    Action.VERIFY: _verify,
}


def _reasons_and_basis(p: ActionInput) -> tuple[list[str], str]:
    reasons = [r for r in p.reasons if r.strip()]
    if not reasons:
        raise InvalidAction("reasons", "a refusal or denial needs reasons")
    if not p.legal_basis or not p.legal_basis.strip():
        raise InvalidAction("legal_basis", "a refusal or denial needs its legal basis")
    return reasons, p.legal_basis
