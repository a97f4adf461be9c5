"""Stages of a case: pre-review, opened, signed in, suspended, resumed, closed; decisions;
deadlines recomputed on a new holiday calendar."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from shared.contracts.common import (
    AwareDatetime,
    DocumentRef,
    Limit,
    ParallelMode,
    RegionCode,
    StageKind,
)
from shared.contracts.envelope import EventData
from shared.contracts.events.topics import PROVISIONAL_DESCRIPTION, T_STAGES


class PreReviewDone(EventData):
    event_type = "gov.egov.prereview.done.v1"
    topic = T_STAGES
    summary = "pre-review (预审) passed, failed or asked for supplements"

    case_id: str
    outcome: Literal["passed", "failed", "supplement_requested"]
    reasons: list[str] = Field(default_factory=list, description="in words an applicant reads")
    requested_materials: list[str] = Field(default_factory=list)
    officer: str | None = None
    automatic: bool = False
    department: str
    region: RegionCode
    decided_at: AwareDatetime


class StageOpened(EventData):
    event_type = "gov.egov.stage.opened.v1"
    topic = T_STAGES
    summary = "a stage (or a department's sub-task of a parallel stage) started its clock"

    case_id: str
    stage_id: str
    stage: StageKind
    name: str
    item_code: str
    department: str
    region: RegionCode
    assignee: str | None = None
    required_role: str = "handler"
    opened_at: AwareDatetime
    due_at: AwareDatetime
    limit: Limit
    promised_limit: Limit | None = None
    statutory_limit: Limit | None = None
    parent_stage_id: str | None = None
    parallel_mode: ParallelMode | None = None
    due_provisional: bool = Field(False, description=PROVISIONAL_DESCRIPTION)


class StageSignedIn(EventData):
    event_type = "gov.egov.stage.signed_in.v1"
    topic = T_STAGES
    summary = "an officer took the task (签收)"

    case_id: str
    stage_id: str
    officer: str
    department: str
    signed_in_at: AwareDatetime


class StageSuspended(EventData):
    event_type = "gov.egov.stage.suspended.v1"
    topic = T_STAGES
    summary = "the clock stopped: special procedure or waiting for supplements"

    case_id: str
    stage_id: str
    reason: Literal["hearing", "expert_review", "testing", "onsite_survey", "supplement"]
    note: str | None = None
    max_length: Limit | None = None
    suspended_at: AwareDatetime
    ends_by: AwareDatetime | None = Field(
        None,
        description="for a stop that follows others (a parallel step, the case's own limits): "
        "when it ends at the latest, at the first maximum among the stops under it",
    )


class StageResumed(EventData):
    event_type = "gov.egov.stage.resumed.v1"
    topic = T_STAGES
    summary = "the clock runs again; due_at is the deadline pushed out by the suspended time"

    case_id: str
    stage_id: str
    resumed_at: AwareDatetime
    due_at: AwareDatetime
    due_provisional: bool = Field(False, description=PROVISIONAL_DESCRIPTION)
    clock_resumed_at: AwareDatetime | None = Field(
        None,
        description="when the clock ran again: the resumption, or the suspension's maximum if "
        "that passed first (then supervision resumed by itself)",
    )


class StageClosed(EventData):
    event_type = "gov.egov.stage.closed.v1"
    topic = T_STAGES
    summary = "a stage ended with an outcome"

    case_id: str
    stage_id: str
    stage: StageKind
    outcome: Literal["passed", "approved", "denied", "refused", "failed", "completed", "cancelled"]
    officer: str | None = None
    reason: str | None = None
    legal_basis: str | None = None
    department: str
    closed_at: AwareDatetime


class CaseDecided(EventData):
    event_type = "gov.egov.case.decided.v1"
    topic = T_STAGES
    summary = "the case has its decision (准予 / 不予 / 不予受理 / revoked after verification)"

    case_id: str
    decision: Literal["approved", "denied", "refused", "revoked", "prereview_failed", "lapsed"]
    reasons: list[str] = Field(default_factory=list)
    legal_basis: str | None = None
    licence_ref: str | None = None
    department: str
    item_code: str
    region: RegionCode
    decided_at: AwareDatetime
    stages_to_follow: list[StageKind] = Field(
        default_factory=list,
        description="stages still to open after the decision (delivery, commitment "
        "verification): the case is finished once they are closed too",
    )
    document: DocumentRef | None = Field(
        None, description="the decision notice (准予 / 不予 notice) as a PDF in the object store"
    )


RECOMPUTED_ON_PUBLICATION = (
    "the official holiday schedule was published; the deadline is counted on it"
)


class DeadlineChanged(EventData):
    event_type = "gov.egov.deadline.changed.v1"
    topic = T_STAGES
    summary = "a deadline was recomputed on a newly published holiday calendar"

    case_id: str
    kind: Literal["stage", "rectification", "objection"] = Field(
        description="what the deadline belongs to; objections are supervised as stages"
    )
    stage_id: str | None = Field(None, description="the stage (stage and objection deadlines)")
    rectification_id: str | None = None
    department: str
    region: RegionCode
    assignee: str | None = None
    old_due_at: AwareDatetime
    new_due_at: AwareDatetime
    due_provisional: bool = Field(description=PROVISIONAL_DESCRIPTION)
    calendar_version: str
    reason: str = Field(description="in words an officer or applicant reads")
    applicant_told: bool = Field(
        False, description="the applicant had been told the old date and is told the new one"
    )
    changed_at: AwareDatetime
