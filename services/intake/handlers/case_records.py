"""What a registered case is made of: its record, the case.submitted event approval works
from, the receipt the applicant gets, and who the audit chain names as its submitter."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.intake.domain import Assessment, CaseRecord, ServiceItem, Submission
from services.intake.domain.case import submitted_entry
from services.intake.domain.credit import needs_extra_review
from services.intake.domain.owed import owed_view
from services.intake.domain.submission import hash_verification_code
from shared.calendar import Limit
from shared.contracts import CaseSubmitted, CreditCheck, OwedMaterials


def receipt(
    item: ServiceItem,
    case: CaseRecord,
    assessment: Assessment,
    credit: CreditCheck,
    code: str | None,
) -> dict[str, Any]:
    """What the applicant gets back: the case number, limits, checks and where to track it."""
    response: dict[str, Any] = {
        "case_id": case.case_id,
        "item_code": item.code,
        "item_name": item.name,
        "status": case.status.value,
        "submitted_at": case.submitted_at.isoformat(),
        "promised_limit": item.promised_limit.model_dump(mode="json"),
        "credit_check": credit.model_dump(mode="json"),
        "commitment_used": assessment.commitment_used,
        "accept_with_gaps": assessment.gaps_used,
        "tracking_url": f"/v1/cases/{case.case_id}",
    }
    if case.owed is not None:  # 容缺受理: told at once what is still owed and by when
        response.update(owed_view(case))
    if code is not None:
        response["verification_code"] = code
    return response


def submitter_actor(case: CaseRecord) -> str:
    """Who submitted, for the audit chain: the checked submitter on its channel."""
    by = case.submitted_by
    if by is None:
        return case.source_system or f"applicant ({case.channel.value})"
    return f"{by.kind.value} {by.subject} ({case.channel.value})"


def case_record(
    item: ServiceItem,
    sub: Submission,
    assessment: Assessment,
    credit: CreditCheck,
    case_id: str,
    submitted_at: datetime,
    code: str | None,
    *,
    owed: OwedMaterials | None = None,
) -> CaseRecord:
    return CaseRecord(
        case_id=case_id,
        item_code=item.code,
        item_name=item.name,
        department=item.department,
        receiving_region=sub.receiving_region,
        handling_region=assessment.handling_region,
        channel=sub.channel,
        applicant=sub.applicant,
        contact=sub.contact,
        materials=sub.materials,
        form=sub.form,
        commitment_used=assessment.commitment_used,
        accept_with_gaps=assessment.gaps_used,
        credit_check=credit,
        promised_limit=item.promised_limit,
        statutory_limit=item.statutory_limit,
        stage_plan=item.stage_plan,
        required_materials=item.required_materials,
        commitment_allowed=item.commitment_allowed,
        submitted_at=submitted_at,
        source_system=sub.source_system,
        external_id=sub.external_id,
        submitted_by=sub.submitted_by,
        licence_spec=item.issues_licence,
        verification_hash=hash_verification_code(case_id, code) if code else None,
        timeline=[submitted_entry(submitted_at, item.name, sub.channel, sub.submitted_by)],
        owed=owed,
    )


def case_submitted(item: ServiceItem, case: CaseRecord) -> CaseSubmitted:
    return CaseSubmitted(
        case_id=case.case_id,
        item_code=item.code,
        item_name=item.name,
        department=item.department,
        receiving_region=case.receiving_region,
        handling_region=case.handling_region,
        channel=case.channel,
        applicant=case.applicant,
        contact=case.contact,
        materials=case.materials,
        form=case.form,
        commitment_used=case.commitment_used,
        accept_with_gaps=case.accept_with_gaps,
        credit_check=case.credit_check,
        promised_limit=item.promised_limit,
        statutory_limit=item.statutory_limit,
        stage_plan=item.stage_plan,
        required_materials=item.required_materials,
        commitment_allowed=item.commitment_allowed,
        submitted_at=case.submitted_at,
        external_ref=case.external_ref,
        extra_review=needs_extra_review(case.credit_check),
        submitted_by=case.submitted_by,
        bundle_id=case.bundle_id,
        issues_licence=item.issues_licence is not None,
        retention_years=item.retention,
        owed=case.owed,
        suspension_max={k: Limit(value=v) for k, v in item.suspension_max_working_days.items()},
        supplement_max=Limit(value=item.supplement_max_working_days)
        if item.supplement_max_working_days
        else None,
    )
