"""Supervision (电子监察): a stage's lights, escalations and findings."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from shared.contracts.common import (
    AwareDatetime,
    Light,
    RegionCode,
    StageKind,
)
from shared.contracts.envelope import EventData
from shared.contracts.events.topics import PROVISIONAL_DESCRIPTION, T_SUPERVISION


class _StageAlert(EventData):
    topic = T_SUPERVISION

    case_id: str
    stage_id: str
    stage: StageKind
    item_code: str
    department: str
    region: RegionCode
    assignee: str | None = None
    due_at: AwareDatetime
    light: Light
    at: AwareDatetime
    due_provisional: bool = Field(False, description=PROVISIONAL_DESCRIPTION)


class StageWarned(_StageAlert):
    event_type = "gov.egov.stage.warned.v1"
    summary = "a stage turned yellow (within the warning margin); once per stage and alert cycle"


class StageOverdue(_StageAlert):
    event_type = "gov.egov.stage.overdue.v1"
    summary = "a stage turned red (past its deadline); once per stage and alert cycle"


class SupervisionEscalated(EventData):
    event_type = "gov.egov.supervision.escalated.v1"
    topic = T_SUPERVISION
    summary = "one rung of the 催办/督办 ladder for an overdue stage"

    case_id: str
    stage_id: str
    stage: StageKind
    item_code: str
    department: str
    region: RegionCode
    rung: int = Field(ge=1, le=9)
    recipients: list[str] = Field(description="roles: handler, section_chief, department_head, ...")
    assignee: str | None = Field(None, description="the officer holding the task, if any")
    card: Literal["none", "yellow", "red"] = "none"
    credit_incident: bool = Field(
        False,
        description="this rung also records a government-credit incident against the "
        "department (published on egov.credit.incidents with the same evidence)",
    )
    due_at: AwareDatetime
    escalated_at: AwareDatetime
    due_provisional: bool = Field(False, description=PROVISIONAL_DESCRIPTION)


# What the supervision rules find (the monitor's finding rules produce exactly these).
FindingKind = Literal[
    "prereview_late",
    "late_sign_in",
    "closed_red_without_reason",
    "after_the_fact_entry",
    "implausibly_fast",
    "rectification_late",
    "suspension_overrun",
    "repeated_supplement_request",
]


class SupervisionFinding(EventData):
    event_type = "gov.egov.supervision.finding.v1"
    topic = T_SUPERVISION
    summary = "electronic supervision (电子监察) found an anomaly"

    case_id: str
    stage_id: str | None = None
    assignee: str | None = Field(None, description="the officer holding the task, if any")
    kind: FindingKind
    detail: str
    department: str
    region: RegionCode
    item_code: str | None = None
    found_at: AwareDatetime
