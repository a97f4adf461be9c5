"""A credit incident against the case's applicant (a broken promise), published in the same
transition as the decision that found it."""

from __future__ import annotations

from services.approval.domain.inputs import Policy
from services.approval.domain.stages import Transition
from shared.contracts.common import ApplicantKind, Severity, SubjectKind
from shared.contracts.events import CreditIncident


def applicant_incident(
    tr: Transition,
    pol: Policy,
    *,
    incident_type: str,
    severity: Severity,
    description: str | None,
    stage_id: str,
    actor: str,
) -> None:
    case = tr.case
    tr.emit(
        CreditIncident(
            subject_id=case.applicant.id_number,
            subject_kind=(
                SubjectKind.PERSON
                if case.applicant.kind == ApplicantKind.PERSON
                else SubjectKind.ENTITY
            ),
            subject_name=case.applicant.name,
            incident_type=incident_type,
            severity=severity,
            source_system=pol.source_system,
            evidence=[case.case_id],
            description=description,
            case_id=case.case_id,
            stage_id=stage_id,
            region=case.region,
            occurred_at=tr.now,
        ),
        "credit_incident",
        incident_type,
    )
    tr.record("credit_incident", actor, stage_id, incident_type=incident_type)
