"""What intake learns of a case's progress from approval's events, as the applicant reads it
(pure: the caller passes the event's fields; each event id is applied once)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.intake.domain import licences
from services.intake.domain.case import (
    DECISION_TEXT,
    OUTCOME_TEXT,
    STAGE_TEXT,
    STATUS_TEXT,
    SUSPENSION_TEXT,
    CaseRecord,
    CaseStatus,
    OpenStage,
    TimelineEntry,
    local_text,
)
from services.intake.domain.errors import Conflict
from shared.calendar.limits import Limit
from shared.calendar.timing import Calendar, WarningPolicy, past_maximum, stage_light
from shared.clock import SHANGHAI
from shared.contracts.common import CASE_CLOCKS, Material, StageKind


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
        return case.with_entry(
            entry, status=CaseStatus.IN_PROGRESS, prereview_reasons=[], requested_materials=[]
        )
    if outcome == "supplement_requested":
        text = "请补正材料：" + "、".join(requested or reasons or ["见办理意见"])
        if reasons:
            text += "（" + "；".join(reasons) + "）"
        entry = TimelineEntry(at=at, kind="supplement_requested", text=text, event_id=event_id)
        return case.with_entry(
            entry,
            status=CaseStatus.SUPPLEMENT_REQUESTED,
            prereview_reasons=reasons,
            requested_materials=requested,
        )
    text = "预审未通过：" + ("；".join(reasons) or "未说明原因")
    entry = TimelineEntry(at=at, kind="prereview_failed", text=text, event_id=event_id)
    return case.with_entry(entry, status=CaseStatus.PREREVIEW_FAILED, prereview_reasons=reasons)


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
    due_provisional: bool = False,
    limit: Limit | None = None,
) -> CaseRecord:
    if case.has_applied(event_id):
        return case
    opened = OpenStage(
        stage_id=stage_id,
        stage=stage,
        name=name,
        department=department,
        due_at=due_at,
        due_provisional=due_provisional,
        limit=limit,
        since=at,
    )
    stages = [s for s in case.open_stages if s.stage_id != stage_id] + [opened]
    label = name or STAGE_TEXT.get(stage, stage.value)
    text = f"{label}开始（{department}），办理期限 {due_text(due_at, due_provisional)}"
    if stage in CASE_CLOCKS:  # the case's own limits, from acceptance
        text = f"{label}：{due_text(due_at, due_provisional)} 前办结"
    entry = TimelineEntry(at=at, kind="stage_opened", event_id=event_id, text=text)
    status = case.status
    if status in (CaseStatus.SUBMITTED, CaseStatus.SUPPLEMENTED, CaseStatus.SUPPLEMENT_REQUESTED):
        status = CaseStatus.IN_PROGRESS
    return case.with_entry(entry, open_stages=stages, status=status)


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
    stages = [s for s in case.open_stages if s.stage_id != stage_id]
    if stage in CASE_CLOCKS:  # the case finished or ended: said by its decision already
        return case.model_copy(update={"open_stages": stages})
    label = closing.name if closing else STAGE_TEXT.get(stage, stage.value)
    text = f"{label}结束：{OUTCOME_TEXT.get(outcome, outcome)}" + (
        f"（{reason}）" if reason else ""
    )
    entry = TimelineEntry(at=at, kind="stage_closed", text=text, event_id=event_id)
    return case.with_entry(entry, open_stages=stages)


def on_stage_suspended(
    case: CaseRecord,
    *,
    event_id: str,
    stage_id: str,
    reason: str,
    at: datetime,
    ends_by: datetime | None = None,
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
    stopped = {
        "suspended": True,
        "suspended_at": at,
        "suspension_reason": reason,
        "suspension_ends_by": ends_by,
    }
    suspended = [
        s.model_copy(update=stopped) if s.stage_id == stage_id else s for s in case.open_stages
    ]
    return case.with_entry(entry, open_stages=suspended)


def on_stage_resumed(
    case: CaseRecord,
    *,
    event_id: str,
    stage_id: str,
    due_at: datetime,
    at: datetime,
    due_provisional: bool = False,
    running_since: datetime | None = None,
) -> CaseRecord:
    if case.has_applied(event_id):
        return case
    entry = TimelineEntry(
        at=at,
        kind="stage_resumed",
        event_id=event_id,
        text=f"恢复办理，办理期限顺延至 {due_text(due_at, due_provisional)}",
    )
    update = {
        "suspended": False,
        "suspended_at": None,
        "suspension_reason": None,
        "suspension_ends_by": None,
        "due_at": due_at,
        "due_provisional": due_provisional,
        "since": running_since or at,
    }
    resumed = [
        s.model_copy(update=update) if s.stage_id == stage_id else s for s in case.open_stages
    ]
    return case.with_entry(entry, open_stages=resumed)


def on_deadline_changed(
    case: CaseRecord,
    *,
    event_id: str,
    stage_id: str,
    due_at: datetime,
    due_provisional: bool,
    at: datetime,
) -> CaseRecord:
    """A stage's deadline counted again on a newly published holiday schedule."""
    if case.has_applied(event_id):
        return case
    stage = next((s for s in case.open_stages if s.stage_id == stage_id), None)
    if stage is None:  # closed meanwhile: nothing the applicant waits for
        return case
    update = {"due_at": due_at, "due_provisional": due_provisional}
    stages = [s.model_copy(update=update) if s is stage else s for s in case.open_stages]
    if due_at == stage.due_at:  # only the provisional mark went: the date stands
        entry = TimelineEntry(
            at=at,
            kind="deadline_confirmed",
            event_id=event_id,
            text=f"{stage.name}办理期限 {due_text(due_at, due_provisional)} "
            "已按公布的节假日安排确认",
        )
        return case.with_entry(entry, open_stages=stages)
    entry = TimelineEntry(
        at=at,
        kind="deadline_changed",
        event_id=event_id,
        text=f"{stage.name}办理期限按新公布的节假日安排调整为 {due_text(due_at, due_provisional)}",
    )
    return case.with_entry(entry, open_stages=stages)


def due_text(due_at: datetime, provisional: bool) -> str:
    """A date the applicant reads; a provisional one says so (its year has no schedule yet)."""
    return local_text(due_at) + ("（暂定，待次年节假日安排公布后确认）" if provisional else "")


def on_decided(
    case: CaseRecord,
    *,
    event_id: str,
    decision: str,
    reasons: list[str],
    at: datetime,
    licence_ref: str | None = None,
) -> CaseRecord:
    """The decision; an approval with a licence number issues the item's e-licence, a
    revocation revokes it (services/intake/domain/licences.py)."""
    if case.has_applied(event_id):
        return case
    text = "办结：" + DECISION_TEXT.get(decision, decision)
    if reasons:
        text += "（" + "；".join(reasons) + "）"
    licence = case.licence
    if decision == "approved" and licence_ref and case.licence_spec is not None:
        licence = licences.issued(
            case.licence_spec,
            ref=licence_ref,
            holder=case.applicant.id_number,
            case_id=case.case_id,
            department=case.department,
            region=case.handling_region,
            day=at.astimezone(SHANGHAI).date(),
        )
        text += f"；电子证照“{licence.name}”（{licence.ref}）已签发"
    elif decision == "revoked" and licence is not None:
        licence = licences.revoked(licence, at=at, reason="；".join(reasons) or "revoked")
        text += f"；电子证照 {licence.ref} 已注销"
    entry = TimelineEntry(at=at, kind="decided", text=text, event_id=event_id)
    return case.with_entry(
        entry,
        status=CaseStatus.DECIDED,
        decision=decision,
        decision_reasons=reasons,
        decided_at=at,
        open_stages=[],
        licence=licence,
    )


def on_supplemented(case: CaseRecord, *, materials: list[Material], at: datetime) -> CaseRecord:
    if case.status != CaseStatus.SUPPLEMENT_REQUESTED:
        raise Conflict(f"case {case.case_id} has no open supplement request")
    names = "、".join(m.name or m.code for m in materials)
    entry = TimelineEntry(at=at, kind="supplemented", text=f"已补正材料：{names}")
    return case.with_entry(
        entry,
        status=CaseStatus.SUPPLEMENTED,
        materials=[*case.materials, *materials],
        requested_materials=[],
    )


def stage_view(
    s: OpenStage, now: datetime, calendar: Calendar, policy: WarningPolicy
) -> dict[str, Any]:
    view: dict[str, Any] = {
        "stage": s.stage.value,
        "name": s.name,
        "department": s.department,
        "due_at": s.due_at.isoformat(),
        "due_provisional": s.due_provisional,
        "suspended": s.suspended,
        "light": None,
    }
    if s.limit is not None:  # stages recorded before limits were kept show no light
        due, stopped, running = past_maximum(
            s.limit.unit,
            s.due_at,
            s.suspended_at if s.suspended else None,
            s.suspension_ends_by,
            now,
            calendar,
        )
        light, _ = stage_light(
            s.limit,
            due,
            now,
            calendar,
            policy,
            since=running or s.since or s.due_at,
            stopped_at=stopped,
        )
        view["light"] = light.value
        view["due_at"] = due.isoformat()
    return view


def tracking_view(
    case: CaseRecord, *, now: datetime, calendar: Calendar, policy: WarningPolicy
) -> dict[str, Any]:
    """What the applicant sees (no ID number, no form data); each current stage with the light
    the officer's work list and the supervision board show."""
    current = [s for s in case.open_stages if s.stage not in CASE_CLOCKS]
    limits = {s.stage.value: s for s in case.open_stages if s.stage in CASE_CLOCKS}
    running = [s for s in current if not s.suspended]
    deadline = min(running, key=lambda s: s.due_at, default=None)
    return {
        "case_id": case.case_id,
        "item_code": case.item_code,
        "item_name": case.item_name,
        "status": case.status.value,
        "status_text": STATUS_TEXT[case.status],
        "current_stages": [stage_view(s, now, calendar, policy) for s in current],
        # the promised (承诺) and statutory (法定) limits of the whole case, from acceptance
        "case_limits": {k: stage_view(s, now, calendar, policy) for k, s in limits.items()},
        "deadline": deadline.due_at.isoformat() if deadline else None,
        "deadline_provisional": deadline.due_provisional if deadline else False,
        "prereview_reasons": case.prereview_reasons,
        "requested_materials": case.requested_materials,
        "decision": case.decision,
        "decision_text": DECISION_TEXT.get(case.decision) if case.decision else None,
        "decision_reasons": case.decision_reasons,
        "licence": _licence_view(case),
        "rated": case.rating is not None,
        "timeline": [
            {"at": e.at.isoformat(), "kind": e.kind, "text": e.text} for e in case.timeline
        ],
    }


def _licence_view(case: CaseRecord) -> dict[str, Any] | None:
    lic = case.licence
    if lic is None:
        return None
    return {
        "licence_ref": lic.ref,
        "type": lic.type,
        "name": lic.name,
        "valid_from": lic.valid_from.isoformat() if lic.valid_from else None,
        "valid_until": lic.valid_until.isoformat() if lic.valid_until else None,
        "status": lic.status.value,
    }
