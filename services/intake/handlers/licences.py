"""The events of intake's e-licence registry (services/intake/domain/licences.py), published on
``egov.licences`` with the case change that issues or revokes a licence."""

from __future__ import annotations

import asyncio

from services.intake.domain import CaseRecord
from services.intake.domain import progress as rules
from services.intake.domain.licences import LicenceStatus, licence_document
from services.intake.handlers.deps import SOURCE, Deps
from shared.contracts import (
    CaseDecided,
    DocumentRef,
    Envelope,
    LicenceIssued,
    LicenceRevoked,
    derived_event_id,
    make_envelope,
)
from shared.documents import render_document
from shared.objectstore import document_key

FOOTER = "由政务服务平台签发 Issued by the e-government platform into the e-licence registry."


async def issue_licence_document(
    deps: Deps, decided: CaseDecided, envelope: Envelope
) -> DocumentRef | None:
    """The e-licence an approval issues, as a PDF at documents/<case>/licence-<ref>.pdf, stored
    before the licence is written so licence.issued refers to it (rendered from the same rule
    that issues the licence: the same bytes on a redelivery). ObjectStoreUnavailable: the
    consumer retries the decision."""
    if decided.decision != "approved" or not decided.licence_ref:
        return None
    case = await deps.store.get_case(decided.case_id)
    if case is None or case.licence_spec is None:
        return None
    lic = rules.on_decided(
        case,
        event_id=envelope.id,
        decision=decided.decision,
        reasons=decided.reasons,
        at=decided.decided_at,
        licence_ref=decided.licence_ref,
    ).licence
    if lic is None or lic.ref != decided.licence_ref or lic.status is not LicenceStatus.VALID:
        return None
    title, rows = licence_document(lic, case.applicant.name)
    # CPU-bound (about 1.9 s with a CJK font, most of it parsing the font): off the loop
    issued = await asyncio.to_thread(
        render_document, title, rows, issued_at=decided.decided_at, footer=FOOTER
    )
    key = document_key(case.case_id, f"licence-{lic.ref}")
    await deps.objects.put(key, issued.data, content_type="application/pdf")
    return DocumentRef(key=key, sha256=issued.sha256, size=issued.size)


def licence_events(
    case: CaseRecord,
    decided: CaseDecided,
    causation: Envelope,
    document: DocumentRef | None = None,
) -> list[Envelope]:
    lic = case.licence
    if lic is None or lic.case_id != case.case_id:
        return []
    if decided.decision == "approved" and lic.status is LicenceStatus.VALID:
        issued = LicenceIssued(
            licence_ref=lic.ref,
            licence_type=lic.type,
            name=lic.name,
            holder=lic.holder,
            valid_from=lic.valid_from or decided.decided_at.date(),
            valid_until=lic.valid_until,
            department=lic.department or case.department,
            region=lic.region or case.handling_region,
            case_id=case.case_id,
            issued_at=decided.decided_at,
            document=document,
        )
        event_id = derived_event_id("licence.issued", lic.ref)
        return [
            make_envelope(
                issued, source=SOURCE, time=decided.decided_at, id=event_id, causation=causation
            )
        ]
    if decided.decision == "revoked" and lic.status is LicenceStatus.REVOKED:
        revoked = LicenceRevoked(
            licence_ref=lic.ref,
            case_id=case.case_id,
            reason=lic.revoked_reason or "revoked",
            revoked_at=lic.revoked_at or decided.decided_at,
        )
        event_id = derived_event_id("licence.revoked", lic.ref)
        return [
            make_envelope(
                revoked, source=SOURCE, time=decided.decided_at, id=event_id, causation=causation
            )
        ]
    return []
