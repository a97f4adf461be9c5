"""A registered case as intake keeps it: its snapshot, what the applicant can see of its
progress (learned from approval's events), its rating and rectification."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services.intake.domain.errors import Conflict
from shared.calendar import Limit
from shared.clock import SHANGHAI
from shared.contracts.common import (
    Applicant,
    Channel,
    Contact,
    CreditCheck,
    JsonObject,
    Material,
    RatingLevel,
    StageKind,
    StagePlanEntry,
)


class CaseStatus(StrEnum):
    SUBMITTED = "submitted"
    IN_PROGRESS = "in_progress"
    SUPPLEMENT_REQUESTED = "supplement_requested"
    SUPPLEMENTED = "supplemented"
    PREREVIEW_FAILED = "prereview_failed"
    DECIDED = "decided"


STATUS_TEXT = {
    CaseStatus.SUBMITTED: "已提交，等待预审",
    CaseStatus.IN_PROGRESS: "办理中",
    CaseStatus.SUPPLEMENT_REQUESTED: "请补正材料",
    CaseStatus.SUPPLEMENTED: "已补正，等待审核",
    CaseStatus.PREREVIEW_FAILED: "预审未通过",
    CaseStatus.DECIDED: "已办结",
}
DECISION_TEXT = {
    "approved": "准予许可",
    "denied": "不予许可",
    "refused": "不予受理",
    "revoked": "撤销（核查不实）",
    "prereview_failed": "预审未通过",
}
STAGE_TEXT = {
    StageKind.PREREVIEW: "预审",
    StageKind.ACCEPT: "受理",
    StageKind.REVIEW: "审查",
    StageKind.DECIDE: "决定",
    StageKind.DELIVER: "送达",
    StageKind.VERIFICATION: "核查",
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
    model_config = ConfigDict(frozen=True)

    at: datetime
    kind: str
    text: str = Field(description="plain words for the applicant")
    event_id: str | None = None


class OpenStage(BaseModel):
    model_config = ConfigDict(frozen=True)

    stage_id: str
    stage: StageKind
    name: str
    department: str
    due_at: datetime
    suspended: bool = False


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
    version: int = 0

    @property
    def external_ref(self) -> str | None:
        if self.source_system and self.external_id:
            return f"{self.source_system}/{self.external_id}"
        return None

    def has_applied(self, event_id: str) -> bool:
        return any(e.event_id == event_id for e in self.timeline)

    def _with(self, entry: TimelineEntry, **changes: Any) -> CaseRecord:
        return self.model_copy(update={**changes, "timeline": [*self.timeline, entry]})


def submitted_entry(at: datetime, item_name: str, channel: Channel) -> TimelineEntry:
    return TimelineEntry(
        at=at, kind="submitted", text=f"通过{channel.value}渠道提交“{item_name}”申请"
    )


# --- progress learned from approval's events (pure: the caller passes the event's fields) -------


def on_prereview(
    case: CaseRecord,
    *,
    event_id: str,
    outcome: str,
    reasons: list[str],
    requested: list[str],
    at: datetime,
) -> CaseRecord:
    if case.has_applied(event_id):
        return case
    if outcome == "passed":
        entry = TimelineEntry(at=at, kind="prereview_passed", text="预审通过", event_id=event_id)
        return case._with(
            entry, status=CaseStatus.IN_PROGRESS, prereview_reasons=[], requested_materials=[]
        )
    if outcome == "supplement_requested":
        text = "请补正材料：" + "、".join(requested or reasons or ["见办理意见"])
        if reasons:
            text += "（" + "；".join(reasons) + "）"
        entry = TimelineEntry(at=at, kind="supplement_requested", text=text, event_id=event_id)
        return case._with(
            entry,
            status=CaseStatus.SUPPLEMENT_REQUESTED,
            prereview_reasons=reasons,
            requested_materials=requested,
        )
    text = "预审未通过：" + ("；".join(reasons) or "未说明原因")
    entry = TimelineEntry(at=at, kind="prereview_failed", text=text, event_id=event_id)
    return case._with(entry, status=CaseStatus.PREREVIEW_FAILED, prereview_reasons=reasons)


def on_stage_opened(
    case: CaseRecord,
    *,
    event_id: str,
    stage_id: str,
    stage: StageKind,
    name: str,
    department: str,
    due_at: datetime,
    at: datetime,
) -> CaseRecord:
    if case.has_applied(event_id):
        return case
    opened = OpenStage(
        stage_id=stage_id, stage=stage, name=name, department=department, due_at=due_at
    )
    stages = [s for s in case.open_stages if s.stage_id != stage_id] + [opened]
    label = name or STAGE_TEXT.get(stage, stage.value)
    entry = TimelineEntry(
        at=at,
        kind="stage_opened",
        event_id=event_id,
        text=f"{label}开始（{department}），办理期限 {_local_text(due_at)}",
    )
    status = case.status
    if status in (CaseStatus.SUBMITTED, CaseStatus.SUPPLEMENTED, CaseStatus.SUPPLEMENT_REQUESTED):
        status = CaseStatus.IN_PROGRESS
    return case._with(entry, open_stages=stages, status=status)


def on_stage_closed(
    case: CaseRecord,
    *,
    event_id: str,
    stage_id: str,
    stage: StageKind,
    outcome: str,
    reason: str | None,
    at: datetime,
) -> CaseRecord:
    if case.has_applied(event_id):
        return case
    closing = next((s for s in case.open_stages if s.stage_id == stage_id), None)
    label = closing.name if closing else STAGE_TEXT.get(stage, stage.value)
    text = f"{label}结束：{OUTCOME_TEXT.get(outcome, outcome)}" + (
        f"（{reason}）" if reason else ""
    )
    entry = TimelineEntry(at=at, kind="stage_closed", text=text, event_id=event_id)
    stages = [s for s in case.open_stages if s.stage_id != stage_id]
    return case._with(entry, open_stages=stages)


def on_stage_suspended(
    case: CaseRecord, *, event_id: str, stage_id: str, reason: str, at: datetime
) -> CaseRecord:
    if case.has_applied(event_id):
        return case
    what = SUSPENSION_TEXT.get(reason, reason)
    entry = TimelineEntry(
        at=at,
        kind="stage_suspended",
        event_id=event_id,
        text=f"办理暂停：{what}（这段时间不计入办理时限）",
    )
    suspended = [
        s.model_copy(update={"suspended": True}) if s.stage_id == stage_id else s
        for s in case.open_stages
    ]
    return case._with(entry, open_stages=suspended)


def on_stage_resumed(
    case: CaseRecord, *, event_id: str, stage_id: str, due_at: datetime, at: datetime
) -> CaseRecord:
    if case.has_applied(event_id):
        return case
    entry = TimelineEntry(
        at=at,
        kind="stage_resumed",
        event_id=event_id,
        text=f"恢复办理，办理期限顺延至 {_local_text(due_at)}",
    )
    resumed = [
        s.model_copy(update={"suspended": False, "due_at": due_at}) if s.stage_id == stage_id else s
        for s in case.open_stages
    ]
    return case._with(entry, open_stages=resumed)


def on_decided(
    case: CaseRecord,
    *,
    event_id: str,
    decision: str,
    reasons: list[str],
    at: datetime,
) -> CaseRecord:
    if case.has_applied(event_id):
        return case
    text = "办结：" + DECISION_TEXT.get(decision, decision)
    if reasons:
        text += "（" + "；".join(reasons) + "）"
    entry = TimelineEntry(at=at, kind="decided", text=text, event_id=event_id)
    return case._with(
        entry,
        status=CaseStatus.DECIDED,
        decision=decision,
        decision_reasons=reasons,
        decided_at=at,
        open_stages=[],
    )


def on_supplemented(case: CaseRecord, *, materials: list[Material], at: datetime) -> CaseRecord:
    if case.status != CaseStatus.SUPPLEMENT_REQUESTED:
        raise Conflict(f"case {case.case_id} has no open supplement request")
    names = "、".join(m.name or m.code for m in materials)
    entry = TimelineEntry(at=at, kind="supplemented", text=f"已补正材料：{names}")
    return case._with(
        entry,
        status=CaseStatus.SUPPLEMENTED,
        materials=[*case.materials, *materials],
        requested_materials=[],
    )


# --- ratings (好差评) and rectification ------------------------------------------------------


def rate(
    case: CaseRecord,
    *,
    rating_id: str,
    level: RatingLevel,
    scores: dict[str, int],
    comment: str | None,
    at: datetime,
) -> CaseRecord:
    """One rating per case (一次一评), only once the case is decided."""
    if case.status != CaseStatus.DECIDED:
        raise Conflict(f"case {case.case_id} is not decided yet; it can be rated once decided")
    if case.rating is not None:
        raise Conflict(
            f"case {case.case_id} was already rated on {_local_text(case.rating.rated_at)}"
            "; each case is rated once"
        )
    rating = Rating(rating_id=rating_id, level=level, scores=scores, comment=comment, rated_at=at)
    entry = TimelineEntry(at=at, kind="rated", text="已评价，感谢您的反馈")
    return case._with(entry, rating=rating)


def needs_rectification(level: RatingLevel) -> bool:
    """不满意 and 非常不满意 must be rectified (整改) and answered by the department."""
    return level in BAD_LEVELS


def open_rectification(
    case: CaseRecord, *, rectification_id: str, at: datetime, due_at: datetime, limit: Limit
) -> CaseRecord:
    if case.rating is None:
        raise Conflict("a rectification follows a rating")
    rect = Rectification(
        rectification_id=rectification_id,
        department=case.department,
        rating_level=case.rating.level,
        opened_at=at,
        due_at=due_at,
        limit=limit,
    )
    return case.model_copy(update={"rectification": rect})


def close_rectification(case: CaseRecord, *, officer: str, answer: str, at: datetime) -> CaseRecord:
    rect = case.rectification
    if rect is None:
        raise Conflict(f"case {case.case_id} has no rectification")
    if rect.closed_at is not None:
        raise Conflict(f"rectification {rect.rectification_id} was already answered")
    closed = rect.model_copy(update={"closed_at": at, "officer": officer, "answer": answer})
    entry = TimelineEntry(at=at, kind="rectification_answered", text=f"部门整改答复：{answer}")
    return case._with(entry, rectification=closed)


def due_for_invitation(case: CaseRecord, *, now: datetime, after: timedelta) -> bool:
    """A decided, unrated, not yet invited case whose decision is at least ``after`` old."""
    return (
        case.status == CaseStatus.DECIDED
        and case.rating is None
        and case.invited_at is None
        and case.decided_at is not None
        and now - case.decided_at >= after
    )


def invite(case: CaseRecord, *, at: datetime) -> CaseRecord:
    entry = TimelineEntry(at=at, kind="rating_invited", text="邀请您对本次办事进行评价")
    return case._with(entry, invited_at=at)


def tracking_view(case: CaseRecord) -> dict[str, Any]:
    """What the applicant sees (no ID number, no form data)."""
    current = case.open_stages
    deadline = min((s.due_at for s in current if not s.suspended), default=None)
    return {
        "case_id": case.case_id,
        "item_code": case.item_code,
        "item_name": case.item_name,
        "status": case.status.value,
        "status_text": STATUS_TEXT[case.status],
        "current_stages": [
            {
                "stage": s.stage.value,
                "name": s.name,
                "department": s.department,
                "due_at": s.due_at.isoformat(),
                "suspended": s.suspended,
            }
            for s in current
        ],
        "deadline": deadline.isoformat() if deadline else None,
        "prereview_reasons": case.prereview_reasons,
        "requested_materials": case.requested_materials,
        "decision": case.decision,
        "decision_text": DECISION_TEXT.get(case.decision) if case.decision else None,
        "decision_reasons": case.decision_reasons,
        "rated": case.rating is not None,
        "timeline": [
            {"at": e.at.isoformat(), "kind": e.kind, "text": e.text} for e in case.timeline
        ],
    }


def _local_text(dt: datetime) -> str:
    return dt.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
