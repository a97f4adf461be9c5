"""The events of intake's e-licence registry (services/intake/domain/licences.py), published on
``egov.licences``, and the licence's PDF. The decision that issues a licence is recorded at once;
its PDF is a separate step (services/intake/domain/licence_documents.py): tried right after the
decision and, while the object store does not answer, by the sweep, until it is stored;
``licence.issued`` is published with it in the transaction that records it."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from services.intake.domain import CaseRecord
from services.intake.domain import licence_documents as owed
from services.intake.domain.licences import Licence, LicenceStatus, licence_document
from services.intake.handlers.deps import SOURCE, Deps
from services.intake.metrics import LICENCE_DOCUMENT_OWED_AGE, LICENCE_DOCUMENTS_OWED
from shared.contracts import (
    CaseDecided,
    DocumentRef,
    Envelope,
    LicenceIssued,
    LicenceRevoked,
    derived_event_id,
    make_envelope,
)
from shared.errors import StaleVersion
from shared.objectstore import ObjectStoreUnavailable, document_key

log = logging.getLogger(__name__)

FOOTER = "由政务服务平台签发 Issued by the e-government platform into the e-licence registry."
ATTEMPTS = 5  # the case changed meanwhile (a stage event, another replica's sweep): read again
SWEEP_LIMIT = 200  # owed PDFs per sweep; the next sweep takes the rest


async def _store_pdf(
    deps: Deps, case: CaseRecord, lic: Licence, issued_at: datetime
) -> DocumentRef:
    """The licence as a PDF at documents/<case>/licence-<ref>.pdf, rendered with its issuing time
    as creation date: the same bytes under the same key whenever it is tried again."""
    title, rows = licence_document(lic, case.applicant.name)
    # CPU-bound (about 1.9 s with a CJK font, most of it parsing the font): off the loop
    issued = await asyncio.to_thread(deps.render, title, rows, issued_at=issued_at, footer=FOOTER)
    key = document_key(case.case_id, f"licence-{lic.ref}")
    await deps.objects.put(key, issued.data, content_type="application/pdf")
    return DocumentRef(key=key, sha256=issued.sha256, size=issued.size)


async def issue_owed_licence_document(deps: Deps, case_id: str) -> bool:
    """Store the PDF the case's licence owes, then record it and publish ``licence.issued``
    referring to it (one transaction, a derived event id: once). False when nothing is owed
    (stored already, by another replica too). ObjectStoreUnavailable: still owed."""
    case = await deps.store.get_case(case_id)
    if case is None or case.licence is None or case.licence_document_owed_since is None:
        return False
    issued_at = case.licence_document_owed_since
    document = await _store_pdf(deps, case, case.licence, issued_at)
    for _ in range(ATTEMPTS):
        stored = owed.document_stored(case, document)
        if stored is case or stored.licence is None:
            return False
        try:
            await deps.store.save_case(
                stored, [_issued(stored, stored.licence, document, issued_at)]
            )
        except StaleVersion:
            again = await deps.store.get_case(case_id)
            if again is None:
                return False
            case = again
            continue
        deps.wake()
        return True
    raise StaleVersion(f"case {case_id} kept changing; its licence PDF is left to the sweep")


async def try_licence_document(deps: Deps, case: CaseRecord | None) -> None:
    """Right after the decision: the PDF at once if the store answers, else the sweep's."""
    if case is None or case.licence_document_owed_since is None:
        return
    try:
        await issue_owed_licence_document(deps, case.case_id)
    except Exception as exc:  # noqa: BLE001 - the decision is recorded; the sweep stores the PDF
        log.warning("case %s: licence PDF left to the sweep: %s", case.case_id, exc)


async def issue_owed_licence_documents(deps: Deps) -> int:
    """Every licence PDF still owed (the sweep); sets the owed metrics to what is left."""
    left: list[datetime] = []
    stored = 0
    owing = await deps.store.licence_documents_owed(limit=SWEEP_LIMIT)
    for n, (case_id, since) in enumerate(owing):
        try:
            stored += await issue_owed_licence_document(deps, case_id)
        except ObjectStoreUnavailable as exc:  # the others would wait for it too: next round
            log.warning("licence PDFs still owed: %d; the object store: %s", len(owing) - n, exc)
            left += [t for _, t in owing[n:]]
            break
        except Exception as exc:  # noqa: BLE001 - one case must not stop the others
            log.warning("case %s: licence PDF still owed: %s", case_id, exc)
            left.append(since)
    LICENCE_DOCUMENTS_OWED.set(len(left))
    LICENCE_DOCUMENT_OWED_AGE.set(owed.oldest_age_s(left, deps.clock.now()))
    return stored


def _issued(case: CaseRecord, lic: Licence, document: DocumentRef, at: datetime) -> Envelope:
    issued = LicenceIssued(
        licence_ref=lic.ref,
        licence_type=lic.type,
        name=lic.name,
        holder=lic.holder,
        valid_from=lic.valid_from or at.date(),
        valid_until=lic.valid_until,
        department=lic.department or case.department,
        region=lic.region or case.handling_region,
        case_id=case.case_id,
        issued_at=at,
        document=document,
    )
    event_id = derived_event_id("licence.issued", lic.ref)
    return make_envelope(issued, source=SOURCE, time=at, id=event_id)


def licence_events(case: CaseRecord, decided: CaseDecided, causation: Envelope) -> list[Envelope]:
    """Published with the decision: a revocation of an announced licence (an issue waits for
    its PDF, above; one revoked before that was never announced, so neither is its end)."""
    lic = case.licence
    if lic is None or lic.case_id != case.case_id:
        return []
    if (
        decided.decision == "revoked"
        and lic.status is LicenceStatus.REVOKED
        and owed.announced(case)
    ):
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
