"""A registered case as intake keeps it: its snapshot, what the applicant can see of its
progress (learned from approval's events), its rating and rectification."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services.intake.domain.licences import Licence, LicenceSpec
from shared.calendar import Limit
from shared.clock import SHANGHAI
from shared.contracts.common import (
    Applicant,
    Channel,
    Contact,
    CreditCheck,
    DocumentRef,
    JsonObject,
    Material,
    RatingLevel,
    StageKind,
    StagePlanEntry,
    SubmittedBy,
    SubmitterKind,
)
from shared.contracts.owed import OwedMaterials


class CaseStatus(StrEnum):
    SUBMITTED = "submitted"
    IN_PROGRESS = "in_progress"
    SUPPLEMENT_REQUESTED = "supplement_requested"
    SUPPLEMENTED = "supplemented"
    PREREVIEW_FAILED = "prereview_failed"
    DECIDED = "decided"
    HELD = "held"  # a bundle's item waiting for the items it depends on (not yet submitted)
    CANCELLED = "cancelled"  # a bundle's item that will not start: an item it waits for failed


STATUS_TEXT = {
    CaseStatus.SUBMITTED: "已提交，等待预审",
    CaseStatus.IN_PROGRESS: "办理中",
    CaseStatus.SUPPLEMENT_REQUESTED: "请补正材料",
    CaseStatus.SUPPLEMENTED: "已补正，等待审核",
    CaseStatus.PREREVIEW_FAILED: "预审未通过",
    CaseStatus.DECIDED: "已办结",
    CaseStatus.HELD: "等待前序事项办结",
    CaseStatus.CANCELLED: "前序事项未获准予，本事项不再办理",
}
DECISION_TEXT = {
    "approved": "准予许可",
    "denied": "不予许可",
    "refused": "不予受理",
    "revoked": "撤销（核查不实）",
    "prereview_failed": "预审未通过",
    "lapsed": "补正期限届满未补正，申请终止",
}
STAGE_TEXT = {
    StageKind.PREREVIEW: "预审",
    StageKind.ACCEPT: "受理",
    StageKind.REVIEW: "审查",
    StageKind.DECIDE: "决定",
    StageKind.DELIVER: "送达",
    StageKind.VERIFICATION: "核查",
    StageKind.OWED_MATERIALS: "容缺材料补齐",
}
OUTCOME_TEXT = {
    "passed": "通过",
    "approved": "准予",
    "denied": "不予",
    "refused": "不予受理",
    "failed": "未通过",
    "completed": "完成",
    "cancelled": "取消",
}
SUSPENSION_TEXT = {
    "hearing": "听证",
    "expert_review": "专家评审",
    "testing": "检验检测",
    "onsite_survey": "现场勘验",
    "supplement": "等待补正材料",
}
BAD_LEVELS = frozenset({RatingLevel.DISSATISFIED, RatingLevel.VERY_DISSATISFIED})


class TimelineEntry(BaseModel):
    """One step of the case as the applicant reads it. The rules leave the actor and the chain
    fields empty; the handlers, who know who acted, link the entry into the case's audit chain
    (shared/audit) before it is stored."""

    model_config = ConfigDict(frozen=True)

    at: datetime
    kind: str
    text: str = Field(description="plain words for the applicant")
    event_id: str | None = None
    actor: str | None = None
    seq: int | None = None
    key_id: str | None = None
    prev_hash: str | None = None
    hash: str | None = None


class OpenStage(BaseModel):
    model_config = ConfigDict(frozen=True)

    stage_id: str
    stage: StageKind
    name: str
    department: str
    due_at: datetime
    suspended: bool = False
    due_provisional: bool = False
    limit: Limit | None = None
    since: datetime | None = Field(None, description="where the stage's clock last started")
    suspended_at: datetime | None = None
    suspension_reason: str | None = None
    suspension_ends_by: datetime | None = None


class Rating(BaseModel):
    model_config = ConfigDict(frozen=True)

    rating_id: str
    level: RatingLevel
    scores: dict[str, int] = Field(default_factory=dict)
    comment: str | None = None
    rated_at: datetime


class Rectification(BaseModel):
    model_config = ConfigDict(frozen=True)

    rectification_id: str
    department: str
    rating_level: RatingLevel
    opened_at: datetime
    due_at: datetime
    limit: Limit
    due_provisional: bool = False
    due_calendar: str | None = None
    closed_at: datetime | None = None
    officer: str | None = None
    answer: str | None = None


class CaseRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    case_id: str
    item_code: str
    item_name: str
    department: str
    receiving_region: str
    handling_region: str
    channel: Channel
    applicant: Applicant
    contact: Contact
    materials: list[Material]
    form: JsonObject = Field(default_factory=dict)
    commitment_used: bool = False
    accept_with_gaps: bool = False
    credit_check: CreditCheck
    promised_limit: Limit
    statutory_limit: Limit
    stage_plan: list[StagePlanEntry]
    required_materials: list[str]
    commitment_allowed: bool = False
    submitted_at: datetime
    source_system: str | None = None
    external_id: str | None = None
    submitted_by: SubmittedBy | None = None
    licence_spec: LicenceSpec | None = None
    licence: Licence | None = None
    licence_document: DocumentRef | None = Field(None, description="the licence's stored PDF")
    licence_document_owed_since: datetime | None = Field(
        None, description="the licence was issued then and its PDF is not stored yet"
    )
    verification_hash: str | None = None
    status: CaseStatus = CaseStatus.SUBMITTED
    open_stages: list[OpenStage] = Field(default_factory=list)
    prereview_reasons: list[str] = Field(default_factory=list)
    requested_materials: list[str] = Field(default_factory=list)
    decision: str | None = None
    decision_reasons: list[str] = Field(default_factory=list)
    decided_at: datetime | None = None
    timeline: list[TimelineEntry] = Field(default_factory=list)
    rating: Rating | None = None
    rectification: Rectification | None = None
    invited_at: datetime | None = None
    audit_seq: int = Field(0, description="timeline entries linked into the audit chain")
    audit_head: str = Field("", description="the hash of the last linked entry")
    bundle_id: str | None = Field(None, description="the bundle (一件事) the case is part of")
    waiting_for: list[str] = Field(
        default_factory=list, description="held: the bundle's items to be decided first"
    )
    held_submission: JsonObject | None = Field(
        None, description="held: the case.submitted to publish when it is released"
    )
    owed: OwedMaterials | None = Field(None, description="accepted with gaps: what it owes")
    owed_supplied: list[str] = Field(default_factory=list, description="owed codes supplied")
    version: int = 0

    @property
    def external_ref(self) -> str | None:
        if self.source_system and self.external_id:
            return f"{self.source_system}/{self.external_id}"
        return None

    def has_applied(self, event_id: str) -> bool:
        return any(e.event_id == event_id for e in self.timeline)

    def with_entry(self, entry: TimelineEntry, **changes: Any) -> CaseRecord:
        return self.model_copy(update={**changes, "timeline": [*self.timeline, entry]})


_BY_TEXT = {
    SubmitterKind.AGENT: "（代理人代为提交）",
    SubmitterKind.OFFICER: "（窗口工作人员帮办代办）",
    SubmitterKind.TERMINAL: "（自助终端）",
}


def submitted_entry(
    at: datetime, item_name: str, channel: Channel, by: SubmittedBy | None = None
) -> TimelineEntry:
    assisted = _BY_TEXT.get(by.kind, "") if by is not None else ""
    return TimelineEntry(
        at=at, kind="submitted", text=f"通过{channel.value}渠道提交“{item_name}”申请{assisted}"
    )


def local_text(dt: datetime) -> str:
    return dt.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
