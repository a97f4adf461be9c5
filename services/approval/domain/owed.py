"""Accept-with-gaps (容缺受理) carried through: a case accepted while a non-key material is
still owed opens a supervised stage for the applicant's deadline (counted from acceptance, as
intake told the applicant); while anything is owed the item's hold stops the approval
(``decide``) or the delivery (``deliver``); the material's arrival closes the stage; a deadline
that passes ends the case as the item says and, where the law provides it, files a credit
incident for the applicant's broken promise."""

from __future__ import annotations

from datetime import datetime

from services.approval.domain.incidents import applicant_incident
from services.approval.domain.inputs import Policy
from services.approval.domain.model import Action, ActionNotAllowed, Case, MaterialRef, Stage
from services.approval.domain.progress import decide
from services.approval.domain.stages import Transition, close_stage, open_stage
from services.approval.domain.timing import Calendar
from shared.clock import SHANGHAI
from shared.contracts.common import Severity, StageKind
from shared.contracts.owed import OwedMaterials
from shared.contracts.owed_events import OwedMaterialsSupplied

OWED_STAGE_NAME = "容缺材料补齐"
INCIDENT_TYPE = "accept_with_gaps_unfulfilled"
# The step each hold guards, and the actions that pass it.
_FINAL_STEP = {"decide": StageKind.DECIDE, "deliver": StageKind.DELIVER}
_PASSING = frozenset({Action.PASS.value, Action.APPROVE.value, Action.DELIVER.value})


def owed_stage_id(case: Case) -> str:
    return f"{case.case_id}:{StageKind.OWED_MATERIALS.value}"


def open_owed(tr: Transition, owed: OwedMaterials) -> None:
    """The applicant's deadline, supervised like any stage; nobody signs in to it (it is the
    applicant's), so it is opened assigned to the applicant."""
    tr.case.owed = owed
    open_stage(
        tr,
        stage_id=owed_stage_id(tr.case),
        kind=StageKind.OWED_MATERIALS,
        name=OWED_STAGE_NAME,
        department=tr.case.department,
        limit=owed.limit,
        required_role="handler",
        opened_at=owed.accepted_at,
        assignee="applicant",
    )


def held(case: Case, stage: Stage, action: str) -> bool:
    """Whether the item's hold stops ``action`` while material is owed: the approval at the
    decide stage (and its sub-tasks), or the delivery; in a plan without that step, the action
    that finishes its last step. Denials and refusals are never held."""
    if case.owed is None or not case.owed_codes or action not in _PASSING:
        return False
    final = _FINAL_STEP[case.owed.hold]
    if any(step.stage == final for step in case.plan):
        return stage.kind == final
    return stage.plan_index == len(case.plan) - 1


def refuse_held(case: Case, stage: Stage, action: str, allowed: list[str]) -> None:
    """409 naming what is owed and by when, for an officer who tries what the hold stops."""
    if not held(case, stage, action) or case.owed is None:
        return
    owed = [m for m in case.owed.materials if m.code in case.owed_codes]
    names = "、".join(f"{m.name} ({m.code})" for m in owed)
    due = case.owed.due_at.astimezone(SHANGHAI).strftime("%Y-%m-%d")
    what = "approved" if case.owed.hold == "decide" else "delivered"
    raise ActionNotAllowed(
        f"{action} is held: the case was accepted with gaps (容缺受理) and still owes {names}, "
        f"due by {due}; it cannot be {what} until the material arrives",
        allowed,
    )


def supply_owed(
    case: Case, data: OwedMaterialsSupplied, *, now: datetime, calendar: Calendar
) -> Transition:
    """Owed material arrived: kept with the case's materials; the stage closes when nothing is
    owed any more. Late, repeated, or for an ended case: nothing changes."""
    tr = Transition(case=case.model_copy(deep=True), now=now, calendar=calendar)
    arrived = [m for m in data.materials if m.code in case.owed_codes]
    if case.is_terminal or not arrived or not owed_arrived(tr, [m.code for m in arrived]):
        return tr
    by_code = {m.code: m for m in tr.case.materials}
    by_code.update({m.code: MaterialRef.of(m) for m in arrived})
    tr.case.materials = list(by_code.values())
    tr.case.version += 1
    return tr


def owed_arrived(tr: Transition, codes: list[str]) -> bool:
    """Record the owed materials among ``codes`` as supplied (by the owed-material endpoint or
    a supplement, 补正, that brought them); the stage closes when nothing is owed any more."""
    case = tr.case
    arrived = [c for c in codes if c in case.owed_codes]
    stage = case.stages.get(owed_stage_id(case))
    if not arrived or stage is None or not stage.is_active:
        return False
    case.owed_supplied = [*case.owed_supplied, *arrived]
    tr.record("owed_supplied", "applicant", stage.stage_id, materials=arrived)
    if not case.owed_codes:
        close_stage(tr, stage, "completed", officer=None, reason="容缺材料已补齐")
    return True


def lapse_owed(case: Case, *, now: datetime, calendar: Calendar, pol: Policy) -> Transition | None:
    """The deadline passed with material still owed: the case ends as the item says (lapsed
    终止办理, or refused 不予受理; an approval not yet delivered is revoked), and a credit
    incident is filed where the item's rule provides one."""
    stage = case.stages.get(owed_stage_id(case))
    owed = case.owed
    if owed is None or stage is None or not stage.is_active or case.is_terminal:
        return None
    if now <= stage.due_at or not case.owed_codes:  # due_at is the last instant allowed
        return None
    tr = Transition(case=case.model_copy(deep=True), now=now, calendar=calendar)
    stage = tr.case.stages[stage.stage_id]
    names = "、".join(m.name for m in owed.materials if m.code in case.owed_codes)
    due = stage.due_at.astimezone(SHANGHAI).strftime("%Y-%m-%d")
    reason = f"容缺受理材料（{names}）未在承诺期限（{due}）内补齐"
    close_stage(tr, stage, "failed", officer=None, reason=reason)
    decision = "revoked" if case.decision == "approved" else owed.on_lapse
    decide(tr, decision, [reason], None, stage.department)
    if owed.credit_incident:
        applicant_incident(
            tr,
            pol,
            incident_type=INCIDENT_TYPE,
            severity=Severity.GENERAL,
            description=reason,
            stage_id=stage.stage_id,
            actor="system",
        )
    tr.case.version += 1
    return tr
