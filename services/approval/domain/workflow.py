"""The case workflow: pre-review, the item's stage plan, parallel sub-tasks, verification.

Every function takes the case and ``now`` and returns a :class:`Transition` (the new case, the
events to publish and the audit records); nothing here reads a clock or does I/O.
"""

from __future__ import annotations

from datetime import datetime

from services.approval.domain.access import allowed_actions, authorize, base_actions
from services.approval.domain.actions import ACTIONS
from services.approval.domain.checks import completeness_findings
from services.approval.domain.clocks import sync_case_clocks, sync_parent_clock
from services.approval.domain.inputs import ActionInput, Officer, Policy
from services.approval.domain.model import (
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
)
from services.approval.domain.owed import open_owed, owed_arrived, refuse_held
from services.approval.domain.progress import decide
from services.approval.domain.stages import (
    Transition,
    close_stage,
    open_stage,
    resume_stage,
)
from services.approval.domain.timing import Calendar
from shared.clock import SHANGHAI
from shared.contracts.common import StageKind
from shared.contracts.events import CaseSubmitted, CaseSupplemented
from shared.errors import StaleVersion

__all__ = ["act", "allowed_actions", "apply_supplement", "authorize", "open_case", "prereview_id"]


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
        materials=[MaterialRef.of(m) for m in data.materials],
        required_materials=list(data.required_materials),
        commitment_used=data.commitment_used,
        commitment_allowed=data.commitment_allowed,
        credit_black_list=data.credit_check.black_list,
        issues_licence=issues_licence,
        promised_limit=data.promised_limit,
        statutory_limit=data.statutory_limit,
        suspension_max=dict(data.suspension_max),
        supplement_max=data.supplement_max,
        plan=_plan(data, policy),
        submitted_at=data.submitted_at,
        retention_years=data.retention_years,
    )
    tr = Transition(case=case, now=now, calendar=calendar)
    tr.record("case_registered", "system", item_code=data.item_code, channel=data.channel.value)
    case.owed = data.owed
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
    if data.owed is not None:
        open_owed(tr, data.owed)
    case.version = 1
    return tr


CREDIT_REVIEW_NAME = "信用加强审查"


def _plan(data: CaseSubmitted, policy: Policy) -> list[PlanStep]:
    """The item's stage plan; for an applicant whose credit asks for it (level C or D, or the
    black list: ``extra_review``), a credit review stage after acceptance (or first)."""
    plan = [PlanStep.model_validate(e.model_dump()) for e in data.stage_plan]
    if not data.extra_review:
        return plan
    review = PlanStep(
        stage=StageKind.REVIEW,
        name=CREDIT_REVIEW_NAME,
        limit=policy.credit_review_limit,
        departments=[data.department],
        required_role=policy.credit_review_role,
    )
    at = next((i + 1 for i, step in enumerate(plan) if step.stage == StageKind.ACCEPT), 0)
    return [*plan[:at], review, *plan[at:]]


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
        by_code[m.code] = MaterialRef.of(m)
    case.materials = list(by_code.values())
    tr.record("case_supplemented", "applicant", materials=[m.code for m in data.materials])
    owed_arrived(tr, [m.code for m in data.materials])  # a supplement may bring owed material
    _run_check(tr)
    resume_stage(tr, stage, actor="applicant")
    case.status = CaseStatus.PREREVIEW
    case.version += 1
    return tr


def lapse_supplement_wait(case: Case, *, now: datetime, calendar: Calendar) -> Transition | None:
    """The applicant did not supplement within the maximum: the case lapses (补正逾期), the
    applicant is told through the decision, never silently."""
    stage = case.stages.get(prereview_id(case))
    waiting = stage.current_suspension if stage is not None else None
    if (
        stage is None
        or waiting is None
        or waiting.reason != "supplement"
        or waiting.ends_by is None
        or now < waiting.ends_by
    ):
        return None
    tr = Transition(case=case.model_copy(deep=True), now=now, calendar=calendar)
    stage = tr.case.stages[stage.stage_id]
    reason = "补正期限届满，申请人未补正材料"
    close_stage(tr, stage, "failed", officer=None, reason=reason)
    decide(tr, "lapsed", [reason], None, stage.department)
    tr.case.version += 1
    return tr


# --- officer actions ---------------------------------------------------------------------------


def prereview_id(case: Case) -> str:
    return f"{case.case_id}:{StageKind.PREREVIEW.value}"


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
    parent_id, _, department = stage_id.rpartition(":")
    parent = case.stages.get(parent_id)
    if stage is None and parent is not None and parent.is_parent:
        subs = ", ".join(parent.sub_stage_ids)
        raise ActionNotAllowed(
            f"department {department} has no sub-task of the parallel stage {parent_id} "
            f"(its sub-tasks: {subs})",
            [],
        )
    if stage is None:
        raise NotFound(f"case {case.case_id} has no stage {stage_id}")
    authorize(case, stage, officer)
    if expected_version != case.version:
        raise StaleVersion("case", expected=expected_version, current=case.version)
    allowed = allowed_actions(case, stage)
    if action.value in base_actions(case, stage):
        refuse_held(case, stage, action.value, allowed)
    if action.value not in allowed:
        raise ActionNotAllowed(
            f"{action.value} is not allowed on {stage.kind.value} stage in state "
            f"{'signed in' if stage.assignee else 'not signed in'}/{stage.state.value} "
            f"(case {case.status.value})",
            allowed,
        )
    if action != Action.SIGN_IN and stage.assignee != officer.subject:
        raise Forbidden(f"the task is signed in by {stage.assignee}; only they may act on it")
    performed = declared_time(params.performed_at, stage, now)
    tr = Transition(case=case.model_copy(deep=True), now=performed, calendar=calendar)
    if performed != now:
        tr.record("entered_afterwards", officer.subject, stage_id, recorded_at=now.isoformat())
    stage = tr.case.stages[stage_id]
    tr.case.levels[officer.subject] = stage.required_role
    ACTIONS[action](tr, stage, officer.subject, params, policy)
    # Whatever the action closed or stopped, a parallel step and the case's own limits stop
    # exactly while every open stage under them is stopped.
    sync_parent_clock(tr, stage, actor=officer.subject)
    sync_case_clocks(tr, actor=officer.subject)
    tr.case.version += 1
    return tr


# --- helpers -------------------------------------------------------------------------------------


def declared_time(performed_at: datetime | None, stage: Stage, now: datetime) -> datetime:
    """The instant an action counts from: the officer's declared time for work done offline
    (between the stage's opening and now), else now. The event carries it; the monitor compares
    it with the time the event reached the bus (事后录入)."""
    if performed_at is None:
        return now
    if performed_at > now:
        raise InvalidAction("performed_at", "lies in the future")
    if performed_at < stage.opened_at:
        raise InvalidAction(
            "performed_at", f"lies before the stage opened ({stage.opened_at.isoformat()})"
        )
    return performed_at


def _run_check(tr: Transition) -> None:
    case = tr.case
    case.findings = completeness_findings(
        materials=case.materials,
        # Material accepted as a gap (容缺) is owed, not missing: its own deadline governs it.
        required=[c for c in case.required_materials if c not in case.owed_codes],
        commitment_used=case.commitment_used,
        commitment_allowed=case.commitment_allowed,
        black_listed=case.credit_black_list,
        today=tr.now.astimezone(SHANGHAI).date(),
    )
    tr.record("completeness_checked", "system", findings=case.findings)
