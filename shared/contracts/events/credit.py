"""Credit: incidents reported and a subject's level changed."""

from __future__ import annotations

from pydantic import Field

from shared.contracts.common import (
    AwareDatetime,
    RegionCode,
    Severity,
    SubjectKind,
)
from shared.contracts.envelope import EventData
from shared.contracts.events.topics import T_CREDIT_CHANGES, T_CREDIT_INCIDENTS


class CreditIncident(EventData):
    event_type = "gov.egov.credit.incident.v1"
    topic = T_CREDIT_INCIDENTS
    key_field = "subject_id"
    summary = "a broken commitment by an applicant or a department, or a record from another system"

    subject_id: str
    subject_kind: SubjectKind
    subject_name: str | None = None
    incident_type: str = Field(min_length=1, max_length=80)
    severity: Severity
    source_system: str = Field(min_length=1, max_length=120)
    evidence: list[str] = Field(default_factory=list)
    description: str | None = None
    case_id: str | None = None
    stage_id: str | None = None
    region: RegionCode | None = None
    occurred_at: AwareDatetime


class CreditChanged(EventData):
    event_type = "gov.egov.credit.changed.v1"
    topic = T_CREDIT_CHANGES
    key_field = "subject_id"
    summary = "a subject's credit level or list membership changed"

    subject_id: str
    subject_kind: SubjectKind
    previous_level: str | None = None
    level: str
    red_list: bool
    black_list: bool
    reason: str
    record_id: str | None = None
    changed_at: AwareDatetime
