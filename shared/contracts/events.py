"""Every event the platform exchanges: one frozen pydantic model per versioned type.

Within a version changes are additive only; a breaking change is a new ``.v2`` type.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field

from shared.contracts.common import (
    Applicant,
    AwareDatetime,
    BundleInfo,
    Channel,
    Contact,
    CreditCheck,
    DocumentRef,
    JsonObject,
    Light,
    Limit,
    Material,
    ParallelMode,
    RatingLevel,
    RegionCode,
    Severity,
    StageKind,
    StagePlanEntry,
    SubjectKind,
    SubmittedBy,
)
from shared.contracts.envelope import EventData
from shared.contracts.owed import OwedMaterials

T_INTAKE_IN = "egov.intake.submissions"
T_CASES = "egov.cases"
T_STAGES = "egov.stages"
T_SUPERVISION = "egov.supervision"
T_CREDIT_INCIDENTS = "egov.credit.incidents"
T_CREDIT_CHANGES = "egov.credit.changes"
T_NOTIFICATIONS = "egov.notifications"
T_CALENDAR = "egov.calendar"
T_AUDIT_CHECKPOINTS = "egov.audit.checkpoints"
T_LICENCES = "egov.licences"

PROVISIONAL_DESCRIPTION = (
    "the deadline reaches into a year whose official holiday schedule is not yet published: "
    "computed from the statutory holidays only, recomputed on publication (deadline.changed)"
)


# --- intake ---------------------------------------------------------------------------------


class CaseSubmissionReceived(EventData):
    """Published by other systems (app, window, bank branch, another region) to ask intake to
    register a case; intake validates it, assigns a case number and publishes CaseSubmitted."""

    event_type = "gov.egov.intake.submission.v1"
    topic = T_INTAKE_IN
    key_field = "external_id"
    summary = "external system submits a case (the public 'case submitted' contract)"

    external_id: str = Field(min_length=1, max_length=120)
    source_system: str = Field(min_length=1, max_length=120)
    applicant: Applicant
    contact: Contact = Contact()
    item_code: str
    form: JsonObject = Field(default_factory=dict)
    materials: list[Material] = Field(default_factory=list)
    channel: Channel = Channel.EXTERNAL
    receiving_region: RegionCode
    handling_region: RegionCode | None = None
    submitted_at: AwareDatetime


class CaseSubmitted(EventData):
    event_type = "gov.egov.case.submitted.v1"
    topic = T_CASES
    summary = "a case was registered with a case number (HTTP or external submission)"

    case_id: str
    item_code: str
    item_name: str
    department: str
    receiving_region: RegionCode
    handling_region: RegionCode
    channel: Channel
    applicant: Applicant
    contact: Contact
    materials: list[Material]
    form: JsonObject = Field(default_factory=dict)
    commitment_used: bool = False
    accept_with_gaps: bool = False
    credit_check: CreditCheck = CreditCheck(skipped=True)
    promised_limit: Limit
    statutory_limit: Limit
    stage_plan: list[StagePlanEntry]
    required_materials: list[str] = Field(default_factory=list)
    commitment_allowed: bool = False
    submitted_at: AwareDatetime
    external_ref: str | None = None
    issues_licence: bool = Field(
        False, description="the item's approval issues an e-licence (电子证照)"
    )
    suspension_max: dict[str, Limit] = Field(
        default_factory=dict,
        description="the item's maximum per special procedure, where its catalog entry sets one",
    )
    supplement_max: Limit | None = Field(
        None, description="the item's time for the applicant to supplement, where set"
    )
    submitted_by: SubmittedBy | None = Field(
        None, description="who put the submission in (absent on cases registered before 2026-12)"
    )
    extra_review: bool = Field(
        False, description="the applicant's credit asks for a credit review stage (信用加强审查)"
    )
    retention_years: int | None = Field(
        None,
        ge=1,
        le=100,
        description="years the sealed dossier is kept after the case is archived (the item's "
        "catalog entry); absent: the archive's default",
    )
    bundle_id: str | None = Field(
        None, description="the bundle (一件事) this case is one item of; absent for a lone case"
    )
    owed: OwedMaterials | None = Field(
        None, description="accepted with gaps (容缺受理): what is still owed and by when"
    )
    bundle: BundleInfo | None = Field(
        None,
        description="the bundle's code, name and items (with bundle_id; absent before 2026-12)",
    )


class CaseArchived(EventData):
    event_type = "gov.egov.case.archived.v1"
    topic = T_CASES
    summary = "a finished case's dossier was sealed: its manifest stored and its hash recorded"

    case_id: str
    item_code: str
    department: str
    region: RegionCode
    manifest: DocumentRef = Field(description="the dossier manifest (JSON) in the object store")
    audit_count: int = Field(ge=0, description="timeline entries the manifest's chain head covers")
    audit_head: str = Field(description="the case's audit chain head at sealing")
    retain_until: AwareDatetime = Field(description="the dossier may be deleted after this")
    archived_at: AwareDatetime


class CaseSupplemented(EventData):
    event_type = "gov.egov.case.supplemented.v1"
    topic = T_CASES
    summary = "the applicant added materials asked for in a supplement request"

    case_id: str
    materials: list[Material]
    supplemented_at: AwareDatetime


class CaseRated(EventData):
    event_type = "gov.egov.case.rated.v1"
    topic = T_CASES
    summary = "the applicant rated a decided case, or a finished bundle, once (好差评)"

    case_id: str = Field(description="the case rated, or the bundle id for a bundle's one rating")
    rating_id: str
    level: RatingLevel
    scores: dict[str, int] = Field(default_factory=dict)
    comment: str | None = None
    department: str = Field(description="the case's department, or the bundle's lead department")
    item_code: str = Field(description="the case's item, or the bundle's code")
    region: RegionCode
    rated_at: AwareDatetime
    bundle_id: str | None = Field(
        None, description="set when the bundle (一件事) is rated as one thing: equals case_id"
    )
    departments: list[str] = Field(
        default_factory=list,
        description="a bundle's rating: the departments of its items (the lead's first), each "
        "once; empty for a case",
    )


class RatingInvited(EventData):
    event_type = "gov.egov.case.rating_invited.v1"
    topic = T_CASES
    summary = "an unrated decided case is invited to rate"

    case_id: str
    invited_at: AwareDatetime


class RectificationOpened(EventData):
    event_type = "gov.egov.rectification.opened.v1"
    topic = T_CASES
    summary = "a bad rating opened a rectification the department must answer by due_at"

    case_id: str
    rectification_id: str
    rating_level: RatingLevel
    department: str
    item_code: str
    region: RegionCode
    opened_at: AwareDatetime
    due_at: AwareDatetime
    limit: Limit
    due_provisional: bool = Field(False, description=PROVISIONAL_DESCRIPTION)


class RectificationClosed(EventData):
    event_type = "gov.egov.rectification.closed.v1"
    topic = T_CASES
    summary = "the department answered a rectification"

    case_id: str
    rectification_id: str
    department: str
    officer: str
    answer: str
    closed_at: AwareDatetime


# --- approval (and credit objections, which are supervised as stages) ------------------------


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


# --- calendar ---------------------------------------------------------------------------------


class CalendarPublished(EventData):
    event_type = "gov.egov.calendar.published.v1"
    topic = T_CALENDAR
    key_field = "year"
    summary = "an official holiday schedule was published for a year (operator action)"

    year: int = Field(ge=1949, le=2200)
    source: str = Field(min_length=1, description="the State Council notice")
    published: date | None = None
    off: list[date]
    extra_working_days: list[date] = Field(default_factory=list)
    calendar_version: str = Field(description="the calendar version once this year is added")
    published_at: AwareDatetime
    audit: JsonObject | None = Field(
        None,
        description="this publication's entry in the calendar's keyed audit chain: who published "
        "it (actor, roles), what it added, linked to the previous publication under the audit "
        "key (shared/calendar/audit.py); absent on schedules published before it was kept",
    )


# --- monitor ----------------------------------------------------------------------------------


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


class SupervisionFinding(EventData):
    event_type = "gov.egov.supervision.finding.v1"
    topic = T_SUPERVISION
    summary = "electronic supervision (电子监察) found an anomaly"

    case_id: str
    stage_id: str | None = None
    assignee: str | None = Field(None, description="the officer holding the task, if any")
    kind: Literal[
        "prereview_late",
        "late_sign_in",
        "closed_red_without_reason",
        "after_the_fact_entry",
        "implausibly_fast",
        "rectification_late",
        "suspension_overrun",
        "repeated_supplement_request",
    ]
    detail: str
    department: str
    region: RegionCode
    item_code: str | None = None
    found_at: AwareDatetime


# --- credit -----------------------------------------------------------------------------------


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


# --- notify -----------------------------------------------------------------------------------


class _NotificationOutcome(EventData):
    topic = T_NOTIFICATIONS
    key_field = "notification_id"

    notification_id: str
    source_event_id: str
    source_event_type: str
    case_id: str | None = None
    recipient: str = Field(description="masked recipient address or officer id")
    recipient_kind: Literal["applicant", "officer", "system"]
    channel: Literal["email", "sms", "inbox", "webhook"]
    template: str
    attempts: int = 1


class NotificationDelivered(_NotificationOutcome):
    event_type = "gov.egov.notification.delivered.v1"
    summary = "a notification reached its channel"

    latency_s: float = Field(description="seconds from the source event's time")
    delivered_at: AwareDatetime


class NotificationFailed(_NotificationOutcome):
    event_type = "gov.egov.notification.failed.v1"
    summary = "a notification permanently failed after retries"

    error: str
    failed_at: AwareDatetime


# --- e-licences ------------------------------------------------------------------------------


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


# --- audit ----------------------------------------------------------------------------------


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


__all__ = [
    "RECOMPUTED_ON_PUBLICATION",
    "AuditCheckpoint",
    "CalendarPublished",
    "CaseArchived",
    "DeadlineChanged",
    "T_CALENDAR",
    "CaseDecided",
    "CaseRated",
    "CaseSubmissionReceived",
    "CaseSubmitted",
    "CaseSupplemented",
    "CreditChanged",
    "CreditIncident",
    "LicenceIssued",
    "LicenceRevoked",
    "NotificationDelivered",
    "NotificationFailed",
    "PreReviewDone",
    "RatingInvited",
    "RectificationClosed",
    "RectificationOpened",
    "StageClosed",
    "StageOpened",
    "StageOverdue",
    "StageResumed",
    "StageSignedIn",
    "StageSuspended",
    "StageWarned",
    "SupervisionEscalated",
    "SupervisionFinding",
    "T_AUDIT_CHECKPOINTS",
    "T_CASES",
    "T_CREDIT_CHANGES",
    "T_CREDIT_INCIDENTS",
    "T_INTAKE_IN",
    "T_LICENCES",
    "T_NOTIFICATIONS",
    "T_STAGES",
    "T_SUPERVISION",
]
