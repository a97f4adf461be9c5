"""Who may do what: the actions a stage allows now, and role/department/region/separation."""

from __future__ import annotations

from services.approval.domain.inputs import Officer
from services.approval.domain.model import Action, Case, Forbidden, Stage, StageState
from services.approval.domain.owed import held
from shared.contracts.common import StageKind

_KIND_ACTIONS: dict[StageKind, tuple[Action, ...]] = {
    StageKind.PREREVIEW: (Action.PASS, Action.FAIL, Action.REQUEST_SUPPLEMENTS),
    StageKind.ACCEPT: (Action.ACCEPT, Action.REFUSE),
    StageKind.REVIEW: (Action.PASS, Action.DENY),
    StageKind.DECIDE: (Action.APPROVE, Action.DENY),
    StageKind.DELIVER: (Action.DELIVER,),
    StageKind.VERIFICATION: (Action.VERIFY,),
}
_SUSPENDABLE = frozenset({StageKind.ACCEPT, StageKind.REVIEW, StageKind.DECIDE})


def allowed_actions(case: Case, stage: Stage) -> list[str]:
    """What may be done to the stage now; what the accept-with-gaps hold stops is left out."""
    return [a for a in base_actions(case, stage) if not held(case, stage, a)]


def base_actions(case: Case, stage: Stage) -> list[str]:
    if case.is_terminal or not stage.is_active or stage.is_parent or stage.is_case_clock:
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
