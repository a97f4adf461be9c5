"""A case as the approval service sees it: stages, suspensions, who acted at which level."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.calendar.limits import Limit
from shared.contracts.common import (
    CASE_CLOCKS,
    ApplicantKind,
    Material,
    ParallelMode,
    StageKind,
)
from shared.contracts.owed import OwedMaterials

SuspensionReason = Literal["hearing", "expert_review", "testing", "onsite_survey", "supplement"]
SPECIAL_PROCEDURES: tuple[SuspensionReason, ...] = (
    "hearing",
    "expert_review",
    "testing",
    "onsite_survey",
)


class CaseStatus(StrEnum):
    PREREVIEW = "prereview"
    AWAITING_SUPPLEMENT = "awaiting_supplement"
    IN_PROGRESS = "in_progress"
    VERIFICATION = "verification"  # delivered; only the commitment check (核查) is still open
    COMPLETED = "completed"
    PREREVIEW_FAILED = "prereview_failed"
    REFUSED = "refused"
    DENIED = "denied"
    REVOKED = "revoked"
    LAPSED = "lapsed"  # the supplement wait passed its maximum


TERMINAL = frozenset(
    {
        CaseStatus.COMPLETED,
        CaseStatus.PREREVIEW_FAILED,
        CaseStatus.REFUSED,
        CaseStatus.LAPSED,
        CaseStatus.DENIED,
        CaseStatus.REVOKED,
    }
)


class StageState(StrEnum):
    OPEN = "open"
    SUSPENDED = "suspended"
    CLOSED = "closed"


class Action(StrEnum):
    """What an officer can do to a stage (the URL segment of the action endpoint)."""

    SIGN_IN = "sign-in"
    SUSPEND = "suspend"
    RESUME = "resume"
    PASS = "pass"  # pre-review, review
    FAIL = "fail"  # pre-review
    REQUEST_SUPPLEMENTS = "request-supplements"  # pre-review
    ACCEPT = "accept"  # accept (受理)
    REFUSE = "refuse"  # accept (不予受理)
    APPROVE = "approve"  # decide (准予), parallel sub-task
    DENY = "deny"  # review, decide (不予), parallel sub-task
    DELIVER = "deliver"  # deliver (送达)
    VERIFY = "verify"  # verification (核查): record whether the commitment was true


class Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Suspension(Model):
    reason: SuspensionReason
    note: str | None = None
    max_length: Limit | None = None
    started_at: datetime
    ended_at: datetime | None = None
    ends_by: datetime | None = Field(
        None, description="the policy's maximum: past it the clock runs again by itself"
    )
    ends_provisional: bool = Field(False, description="ends_by counted a provisional year")
    remaining_s: float = Field(description="working time (or hours, or seconds) left at start")


class Stage(Model):
    stage_id: str
    kind: StageKind
    name: str
    department: str
    region: str
    required_role: str = "handler"
    limit: Limit
    opened_at: datetime
    due_at: datetime
    due_provisional: bool = Field(
        False, description="due_at reaches into a year whose holiday schedule is not published"
    )
    due_calendar: str | None = Field(None, description="calendar version due_at was computed on")
    state: StageState = StageState.OPEN
    assignee: str | None = None
    signed_in_at: datetime | None = None
    outcome: str | None = None
    closed_at: datetime | None = None
    closed_by: str | None = None
    reason: str | None = None
    legal_basis: str | None = None
    parent_stage_id: str | None = None
    parallel_mode: ParallelMode | None = None
    sub_stage_ids: list[str] = Field(default_factory=list)
    suspensions: list[Suspension] = Field(default_factory=list)
    plan_index: int | None = None

    @property
    def is_parent(self) -> bool:
        return bool(self.sub_stage_ids)

    @property
    def is_case_clock(self) -> bool:
        """The case's promised or statutory limit, supervised like a stage nobody acts on."""
        return self.kind in CASE_CLOCKS

    @property
    def is_active(self) -> bool:
        return self.state != StageState.CLOSED

    @property
    def current_suspension(self) -> Suspension | None:
        if self.state == StageState.SUSPENDED and self.suspensions:
            return self.suspensions[-1]
        return None


class PlanStep(Model):
    stage: StageKind
    name: str
    limit: Limit
    departments: list[str]
    parallel_mode: ParallelMode = ParallelMode.ALL
    required_role: str = "handler"


class ApplicantRef(Model):
    kind: ApplicantKind
    id_number: str
    name: str


class MaterialRef(Model):
    code: str
    form: str
    licence_ref: str | None = None
    # An upload verified by intake (the object is materials/<upload_id>, docs/archive.md).
    upload_id: str | None = None
    sha256: str | None = None
    size: int | None = None
    media_type: str | None = None

    @classmethod
    def of(cls, m: Material) -> MaterialRef:
        return cls(
            code=m.code,
            form=m.form.value,
            licence_ref=m.licence_ref,
            upload_id=m.upload_id,
            sha256=m.sha256,
            size=m.size,
            media_type=m.media_type,
        )


class IssuedDocument(Model):
    """A document the platform issued for the case (docs/archive.md), by reference."""

    name: str  # decision-approved, licence-EL-...: the key's last part without .pdf
    key: str
    sha256: str
    size: int
    issued_at: datetime


class ArchiveRecord(Model):
    """The sealed dossier: its manifest's hash and how long it is kept."""

    key: str
    sha256: str
    size: int
    sealed_at: datetime
    retain_until: datetime
    audit_count: int
    audit_head: str
    legal_hold: str | None = Field(None, description="the reason of a hold in force")
    purged_at: datetime | None = None


class Case(Model):
    case_id: str
    version: int = 0
    status: CaseStatus = CaseStatus.PREREVIEW
    item_code: str
    item_name: str
    department: str
    region: str
    applicant: ApplicantRef
    materials: list[MaterialRef] = Field(default_factory=list)
    required_materials: list[str] = Field(default_factory=list)
    commitment_used: bool = False
    commitment_allowed: bool = False
    credit_black_list: bool = False
    issues_licence: bool = False
    promised_limit: Limit
    statutory_limit: Limit
    suspension_max: dict[str, Limit] = Field(
        default_factory=dict, description="the item's own maxima (else the policy's)"
    )
    supplement_max: Limit | None = None
    plan: list[PlanStep]
    stages: dict[str, Stage] = Field(default_factory=dict)
    findings: list[str] = Field(default_factory=list, description="automatic completeness check")
    supplement_rounds: int = 0
    decision: str | None = None
    licence_ref: str | None = None
    delivered: bool = False
    levels: dict[str, str] = Field(
        default_factory=dict, description="officer id -> the level (role) they acted at"
    )
    submitted_at: datetime
    documents: list[IssuedDocument] = Field(default_factory=list)
    retention_years: int | None = Field(None, description="the item's (catalog); else default")
    archive: ArchiveRecord | None = None
    owed: OwedMaterials | None = Field(None, description="accepted with gaps (容缺受理)")
    owed_supplied: list[str] = Field(default_factory=list, description="owed codes supplied")
    audit_seq: int = 0
    audit_head: str = ""

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL

    def active_stages(self) -> list[Stage]:
        return [s for s in self.stages.values() if s.is_active]

    @property
    def owed_codes(self) -> list[str]:
        """Materials accepted as gaps (容缺) and not yet supplied."""
        owed = self.owed.materials if self.owed is not None else []
        return [m.code for m in owed if m.code not in self.owed_supplied]


class ApprovalError(Exception):
    """A refused action; the API maps each subclass to an HTTP status."""


class NotFound(ApprovalError):
    pass


class Forbidden(ApprovalError):
    pass


class ActionNotAllowed(ApprovalError):
    def __init__(self, message: str, allowed: list[str]) -> None:
        super().__init__(message)
        self.allowed = allowed


class InvalidAction(ApprovalError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
