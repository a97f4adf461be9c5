"""Cases: submitted, supplemented, rated, archived; ratings' rectifications."""

from __future__ import annotations

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
    Limit,
    Material,
    RatingLevel,
    RegionCode,
    StagePlanEntry,
    SubmittedBy,
)
from shared.contracts.envelope import EventData
from shared.contracts.events.topics import PROVISIONAL_DESCRIPTION, T_CASES, T_INTAKE_IN
from shared.contracts.owed import OwedMaterials


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


class BundleSubmissionReceived(EventData):
    """Published by other systems to apply for a bundle (一件事) in one submission, the bus
    twin of ``POST /v1/bundles``: intake checks it as that does and writes the same (one case
    per item linked by the bundle id, the bundle clock), or dead-letters it with the reason."""

    event_type = "gov.egov.intake.bundle_submission.v1"
    topic = T_INTAKE_IN
    key_field = "external_id"
    summary = "external system applies for a bundle (一件事): one submission, one case per item"

    external_id: str = Field(min_length=1, max_length=120)
    source_system: str = Field(min_length=1, max_length=120)
    applicant: Applicant
    contact: Contact = Contact()
    bundle_code: str
    form: JsonObject = Field(
        default_factory=dict, description="the bundle's shared fields, each asked once"
    )
    materials: list[Material] = Field(
        default_factory=list, description="by the bundle's material codes, each once"
    )
    accept_with_gaps: bool = False
    channel: Channel = Field(
        description="where the applicant applied (app, window, ...): the bundle must be offered "
        "on it"
    )
    receiving_region: RegionCode
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
    summary = "an unrated decided case, or a finished bundle, is invited to rate"

    case_id: str
    invited_at: AwareDatetime
    bundle_id: str | None = Field(
        None,
        description="set when a finished bundle (一件事) is invited to rate it as one thing: "
        "equals case_id; its items are never invited on their own",
    )


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
