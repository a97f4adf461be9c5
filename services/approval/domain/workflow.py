"""The case workflow: pre-review, the item's stage plan, parallel sub-tasks, verification.

Every function takes the case and ``now`` and returns a :class:`Transition` (the new case, the
events to publish and the audit records); nothing here reads a clock or does I/O.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from services.approval.domain.checks import completeness_findings
from services.approval.domain.model import (
    SPECIAL_PROCEDURES,
    Action,
    ActionNotAllowed,
    ApplicantRef,
    Case,
    CaseStatus,
    Forbidden,
    InvalidAction,
    MaterialRef,
    NotFound,
    PlanStep,
    Stage,
    StageState,
    StaleVersion,
    SuspensionReason,
)
from services.approval.domain.stages import (
    Transition,
    cancel_active,
    close_stage,
    open_plan_step,
    open_stage,
    resume_stage,
    suspend_stage,
)
from services.approval.domain.timing import Calendar
from shared.calendar.limits import Limit
from shared.clock import SHANGHAI
from shared.contracts.common import ApplicantKind, ParallelMode, Severity, StageKind, SubjectKind
from shared.contracts.events import (
    CaseDecided,
    CaseSubmitted,
    CaseSupplemented,
    CreditIncident,
    PreReviewDone,
    StageSignedIn,
)


class Officer(BaseModel):
    """Who acts (from the bearer token)."""

    model_config = ConfigDict(frozen=True)

    subject: str
    department: str | None = None
    region: str | None = None
    roles: frozenset[str] = frozenset()


class ActionInput(BaseModel):
    model_config = ConfigDict(frozen=True)

    reasons: list[str] = Field(default_factory=list)
    legal_basis: str | None = None
    materials: list[str] = Field(default_factory=list)
    note: str | None = None
    suspension_reason: SuspensionReason | None = None
    max_length: Limit | None = None
    commitment_true: bool | None = None


class Policy(BaseModel):
    """Configurable rules (from the service settings)."""

    model_config = ConfigDict(frozen=True)

    prereview_limit: Limit = Limit(value=2)
    prereview_role: str = "handler"
    verification_limit: Limit = Limit(value=20)
    verification_role: str = "handler"
    suspension_max: dict[str, Limit] = Field(default_factory=dict)
    source_system: str = "egov-approval"


_KIND_ACTIONS: dict[StageKind, tuple[Action, ...]] = {
    StageKind.PREREVIEW: (Action.PASS, Action.FAIL, Action.REQUEST_SUPPLEMENTS),
    StageKind.ACCEPT: (Action.ACCEPT, Action.REFUSE),
    StageKind.REVIEW: (Action.PASS, Action.DENY),
    StageKind.DECIDE: (Action.APPROVE, Action.DENY),
    StageKind.DELIVER: (Action.DELIVER,),
    StageKind.VERIFICATION: (Action.VERIFY,),
}
_SUSPENDABLE = frozenset({StageKind.ACCEPT, StageKind.REVIEW, StageKind.DECIDE})


# --- incoming events ---------------------------------------------------------------------------


def open_case(
    data: CaseSubmitted, *, now: datetime, calendar: Calendar, policy: Policy, issues_licence: bool
) -> Transition:
    """Register the case, run the completeness check, open pre-review (due in 2 working days)."""
    case = Case(
        case_id=data.case_id,
        item_code=data.item_code,
        item_name=data.item_name,
        department=data.department,
        region=data.handling_region,
        applicant=ApplicantRef(
            kind=data.applicant.kind, id_number=data.applicant.id_number, name=data.applicant.name
        ),
        materials=[_material(m.code, m.form.value, m.licence_ref) for m in data.materials],
        required_materials=list(data.required_materials),
        commitment_used=data.commitment_used,
        commitment_allowed=data.commitment_allowed,
        credit_black_list=data.credit_check.black_list,
        issues_licence=issues_licence,
        promised_limit=data.promised_limit,
        statutory_limit=data.statutory_limit,
        plan=[PlanStep.model_validate(e.model_dump()) for e in data.stage_plan],
        submitted_at=data.submitted_at,
    )
    tr = Transition(case=case, now=now, calendar=calendar)
    tr.record("case_registered", "system", item_code=data.item_code, channel=data.channel.value)
    _run_check(tr)
    open_stage(
        tr,
        stage_id=prereview_id(case),
        kind=StageKind.PREREVIEW,
        name="预审",
        department=case.department,
        limit=policy.prereview_limit,
        required_role=policy.prereview_role,
    )
    case.version = 1
    return tr


def apply_supplement(
    case: Case, data: CaseSupplemented, *, now: datetime, calendar: Calendar
) -> Transition:
    """The applicant's supplements arrived: check again and resume the pre-review clock."""
    tr = Transition(case=case.model_copy(deep=True), now=now, calendar=calendar)
    case = tr.case
    stage = case.stages.get(prereview_id(case))
    if case.status != CaseStatus.AWAITING_SUPPLEMENT or stage is None:
        return tr  # late or repeated: nothing waits for it
    by_code = {m.code: m for m in case.materials}
    for m in data.materials:
        by_code[m.code] = _material(m.code, m.form.value, m.licence_ref)
    case.materials = list(by_code.values())
    tr.record("case_supplemented", "applicant", materials=[m.code for m in data.materials])
    _run_check(tr)
    resume_stage(tr, stage, actor="applicant")
    case.status = CaseStatus.PREREVIEW
    case.version += 1
    return tr


# --- officer actions ---------------------------------------------------------------------------


def prereview_id(case: Case) -> str:
    return f"{case.case_id}:{StageKind.PREREVIEW.value}"


def allowed_actions(case: Case, stage: Stage) -> list[str]:
    if case.is_terminal or not stage.is_active or stage.is_parent:
        return []
    if stage.assignee is None:
        return [Action.SIGN_IN.value]
    if stage.state == StageState.SUSPENDED:
        current = stage.current_suspension
        if current is not None and current.reason == "supplement":
            # The applicant's reply resumes it; an officer may still fail a case left unanswered.
            return [Action.FAIL.value]
        return [Action.RESUME.value]
    if stage.parent_stage_id is not None:
        return [Action.APPROVE.value, Action.DENY.value, Action.SUSPEND.value]
    actions = [a.value for a in _KIND_ACTIONS.get(stage.kind, ())]
    if stage.kind in _SUSPENDABLE:
        actions.append(Action.SUSPEND.value)
    return actions


def authorize(case: Case, stage: Stage, officer: Officer) -> None:
    """Role, department, region, and separation of duties (分级审批)."""
    if stage.required_role not in officer.roles:
        raise Forbidden(f"this task needs the role {stage.required_role!r}")
    if officer.department != stage.department:
        raise Forbidden(f"this task belongs to department {stage.department}, not yours")
    if officer.region != stage.region:
        raise Forbidden(f"this task belongs to region {stage.region}, not yours")
    level = case.levels.get(officer.subject)
    if level is not None and level != stage.required_role:
        raise Forbidden(
            f"separation of duties: you already acted as {level} on this case and may not "
            f"also act as {stage.required_role}"
        )


def act(
    case: Case,
    stage_id: str,
    action: Action,
    officer: Officer,
    params: ActionInput,
    *,
    expected_version: int,
    now: datetime,
    calendar: Calendar,
    policy: Policy,
) -> Transition:
    stage = case.stages.get(stage_id)
    if stage is None:
        raise NotFound(f"case {case.case_id} has no stage {stage_id}")
    authorize(case, stage, officer)
    if expected_version != case.version:
        raise StaleVersion(expected_version, case.version)
    allowed = allowed_actions(case, stage)
    if action.value not in allowed:
        raise ActionNotAllowed(
            f"{action.value} is not allowed on {stage.kind.value} stage in state "
            f"{'signed in' if stage.assignee else 'not signed in'}/{stage.state.value} "
            f"(case {case.status.value})",
            allowed,
        )
    if action != Action.SIGN_IN and stage.assignee != officer.subject:
        raise Forbidden(f"the task is signed in by {stage.assignee}; only they may act on it")
    tr = Transition(case=case.model_copy(deep=True), now=now, calendar=calendar)
    stage = tr.case.stages[stage_id]
    tr.case.levels[officer.subject] = stage.required_role
    _ACTIONS[action](tr, stage, officer.subject, params, policy)
    tr.case.version += 1
    return tr


def _sign_in(tr: Transition, stage: Stage, officer: str, _p: ActionInput, _pol: Policy) -> None:
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
    max_length = p.max_length or pol.suspension_max.get(reason)
    suspend_stage(tr, stage, reason, actor=officer, note=p.note, max_length=max_length)


def _resume(tr: Transition, stage: Stage, officer: str, _p: ActionInput, _pol: Policy) -> None:
    resume_stage(tr, stage, actor=officer)


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


def _pass(tr: Transition, stage: Stage, officer: str, p: ActionInput, _pol: Policy) -> None:
    if stage.kind == StageKind.PREREVIEW:
        _prereview_done(tr, stage, "passed", officer, p.reasons)
        close_stage(tr, stage, "passed", officer=officer)
        tr.case.status = CaseStatus.IN_PROGRESS
        _next_step(tr, None, _pol)
        return
    close_stage(tr, stage, "passed", officer=officer, reason=_joined(p.reasons))
    _stage_passed(tr, stage, _pol)


def _fail(tr: Transition, stage: Stage, officer: str, p: ActionInput, _pol: Policy) -> None:
    reasons = p.reasons or list(tr.case.findings)
    if not reasons:
        raise InvalidAction("reasons", "a failed pre-review needs reasons the applicant can read")
    _prereview_done(tr, stage, "failed", officer, reasons)
    close_stage(tr, stage, "failed", officer=officer, reason=_joined(reasons))
    _decide(tr, "prereview_failed", reasons, None, stage.department)


def _request_supplements(
    tr: Transition, stage: Stage, officer: str, p: ActionInput, _pol: Policy
) -> None:
    if not p.materials:
        raise InvalidAction("materials", "name the materials the applicant must supplement")
    tr.case.supplement_rounds += 1
    reasons = p.reasons or [f"请补正材料：{', '.join(p.materials)}"]
    _prereview_done(tr, stage, "supplement_requested", officer, reasons, p.materials)
    suspend_stage(tr, stage, "supplement", actor=officer, note=_joined(reasons), max_length=None)
    tr.case.status = CaseStatus.AWAITING_SUPPLEMENT


def _refuse_or_deny(
    tr: Transition, stage: Stage, officer: str, p: ActionInput, _pol: Policy
) -> None:
    reasons, basis = _reasons_and_basis(p)
    outcome = "refused" if stage.kind == StageKind.ACCEPT else "denied"
    close_stage(tr, stage, outcome, officer=officer, reason=_joined(reasons), legal_basis=basis)
    if stage.parent_stage_id is not None:
        _sub_task_closed(tr, stage, _pol, reasons, basis)
        return
    _decide(tr, outcome, reasons, basis, stage.department)


def _approve(tr: Transition, stage: Stage, officer: str, p: ActionInput, pol: Policy) -> None:
    outcome = "approved" if stage.kind == StageKind.DECIDE or stage.parent_stage_id else "passed"
    close_stage(tr, stage, outcome, officer=officer, reason=_joined(p.reasons))
    if stage.parent_stage_id is not None:
        _sub_task_closed(tr, stage, pol, [], None)
        return
    _stage_passed(tr, stage, pol)


def _deliver(tr: Transition, stage: Stage, officer: str, p: ActionInput, pol: Policy) -> None:
    close_stage(tr, stage, "completed", officer=officer, reason=_joined(p.reasons) or p.note)
    tr.case.delivered = True
    _stage_passed(tr, stage, pol)


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
    close_stage(tr, stage, "failed", officer=officer, reason=_joined(reasons))
    cancel_active(tr)
    _decide(tr, "revoked", reasons, p.legal_basis, stage.department)
    tr.emit(
        CreditIncident(
            subject_id=case.applicant.id_number,
            subject_kind=(
                SubjectKind.PERSON
                if case.applicant.kind == ApplicantKind.PERSON
                else SubjectKind.ENTITY
            ),
            subject_name=case.applicant.name,
            incident_type="false_commitment",
            severity=Severity.SERIOUS,
            source_system=pol.source_system,
            evidence=[case.case_id],
            description=_joined(reasons),
            case_id=case.case_id,
            stage_id=stage.stage_id,
            region=case.region,
            occurred_at=tr.now,
        ),
        "credit_incident",
        "false_commitment",
    )
    tr.record("credit_incident", officer, stage.stage_id, incident_type="false_commitment")


_ACTIONS = {
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


# --- progress ------------------------------------------------------------------------------------


def _sub_task_closed(
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
        _stage_passed(tr, parent, pol)
    elif failed:
        outcome = "refused" if parent.kind == StageKind.ACCEPT else "denied"
        for s in subs:
            if s.is_active:
                close_stage(tr, s, "cancelled", officer=None, reason="parallel stage denied")
        close_stage(tr, parent, outcome, officer=None, reason=_joined(reasons), legal_basis=basis)
        _decide(tr, outcome, reasons, basis, sub.department)


def _stage_passed(tr: Transition, stage: Stage, pol: Policy) -> None:
    if stage.kind == StageKind.DECIDE:
        _approve_case(tr, stage.department, pol)
    _next_step(tr, stage.plan_index, pol)


def _next_step(tr: Transition, index: int | None, pol: Policy) -> None:
    case = tr.case
    following = 0 if index is None else index + 1
    if following < len(case.plan):
        open_plan_step(tr, following)
        return
    if case.decision is None:  # a plan without a decide stage: finishing it approves
        _approve_case(tr, case.department, pol)
    verifying = any(s.kind == StageKind.VERIFICATION and s.is_active for s in case.stages.values())
    case.status = CaseStatus.VERIFICATION if verifying else CaseStatus.COMPLETED
    tr.record("case_closed", "system", status=case.status.value)


def _approve_case(tr: Transition, department: str, pol: Policy) -> None:
    case = tr.case
    if case.issues_licence:
        case.licence_ref = f"EL-{case.item_code}-{case.case_id}"
    _decide(tr, "approved", [], None, department)
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


def _decide(
    tr: Transition, decision: str, reasons: list[str], basis: str | None, department: str
) -> None:
    case = tr.case
    case.decision = decision
    terminal = {
        "prereview_failed": CaseStatus.PREREVIEW_FAILED,
        "refused": CaseStatus.REFUSED,
        "denied": CaseStatus.DENIED,
        "revoked": CaseStatus.REVOKED,
    }
    if decision in terminal:
        case.status = terminal[decision]
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
        ),
        "decided",
        decision,
    )
    tr.record("case_decided", "system", decision=decision, licence_ref=case.licence_ref)


# --- helpers -------------------------------------------------------------------------------------


def _run_check(tr: Transition) -> None:
    case = tr.case
    case.findings = completeness_findings(
        materials=case.materials,
        required=case.required_materials,
        commitment_used=case.commitment_used,
        commitment_allowed=case.commitment_allowed,
        black_listed=case.credit_black_list,
        today=tr.now.astimezone(SHANGHAI).date(),
    )
    tr.record("completeness_checked", "system", findings=case.findings)


def _reasons_and_basis(p: ActionInput) -> tuple[list[str], str]:
    reasons = [r for r in p.reasons if r.strip()]
    if not reasons:
        raise InvalidAction("reasons", "a refusal or denial needs reasons")
    if not p.legal_basis or not p.legal_basis.strip():
        raise InvalidAction("legal_basis", "a refusal or denial needs its legal basis")
    return reasons, p.legal_basis


def _joined(reasons: list[str]) -> str | None:
    return "; ".join(reasons) if reasons else None


def _material(code: str, form: str, licence_ref: str | None) -> MaterialRef:
    return MaterialRef(code=code, form=form, licence_ref=licence_ref)
