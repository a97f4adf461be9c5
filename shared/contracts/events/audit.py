"""Audit chains' signed checkpoints."""

from __future__ import annotations

from pydantic import Field

from shared.contracts.common import (
    AwareDatetime,
)
from shared.contracts.envelope import EventData
from shared.contracts.events.topics import T_AUDIT_CHECKPOINTS


class AuditCheckpoint(EventData):
    """The head of an audit chain when it moved, signed with the audit key: the bus keeps what
    the database said, so a later rewrite of the database (entries and head) disagrees with it
    (`egov audit verify --bus`)."""

    event_type = "gov.egov.audit.checkpoint.v1"
    topic = T_AUDIT_CHECKPOINTS
    key_field = "chain_id"
    summary = "an audit chain's head moved (signed checkpoint)"

    chain: str = Field(min_length=1, description="what the chain records, e.g. approval.case")
    chain_id: str = Field(min_length=1, description="the case (or subject) the chain belongs to")
    count: int = Field(ge=1, description="entries in the chain up to and including the head")
    head: str = Field(description="the keyed hash of the chain's last entry")
    recorded_at: AwareDatetime = Field(description="when the platform recorded the last entry")
    key_id: str = Field(description="the audit key the signature is made with")
    signature: str = Field(
        description="HMAC-SHA-256 under that key of the fields above (shared/audit/checkpoints.py)"
    )
