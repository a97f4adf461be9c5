"""The events of intake's e-licence registry (services/intake/domain/licences.py), published on
``egov.licences`` with the case change that issues or revokes a licence."""

from __future__ import annotations

from services.intake.domain import CaseRecord
from services.intake.domain.licences import LicenceStatus
from services.intake.handlers.deps import SOURCE
from shared.contracts import (
    CaseDecided,
    Envelope,
    LicenceIssued,
    LicenceRevoked,
    derived_event_id,
    make_envelope,
)


def licence_events(case: CaseRecord, decided: CaseDecided, causation: Envelope) -> list[Envelope]:
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
