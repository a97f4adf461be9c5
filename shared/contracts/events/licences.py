"""E-licences (电子证照) issued and revoked."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from shared.contracts.common import (
    AwareDatetime,
    DocumentRef,
    RegionCode,
)
from shared.contracts.envelope import EventData
from shared.contracts.events.topics import T_LICENCES


class LicenceIssued(EventData):
    event_type = "gov.egov.licence.issued.v1"
    topic = T_LICENCES
    summary = "an approved case issued an e-licence (电子证照) into intake's registry"

    licence_ref: str
    licence_type: str
    name: str
    holder: str = Field(description="resident ID number or unified social credit code")
    valid_from: date
    valid_until: date | None = Field(None, description="last valid day; none: indefinitely")
    department: str
    region: RegionCode
    case_id: str
    issued_at: AwareDatetime
    document: DocumentRef | None = Field(
        None, description="the e-licence as a PDF in the object store"
    )


class LicenceRevoked(EventData):
    event_type = "gov.egov.licence.revoked.v1"
    topic = T_LICENCES
    summary = "an e-licence was revoked (the case was revoked after verification)"

    licence_ref: str
    case_id: str
    reason: str
    revoked_at: AwareDatetime
