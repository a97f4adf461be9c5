"""Event builders for the notify tests (unit and integration)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from shared.contracts import (
    CaseDecided,
    CaseSubmitted,
    CreditChanged,
    DeadlineChanged,
    Envelope,
    EventData,
    PreReviewDone,
    RatingInvited,
    RectificationClosed,
    RectificationOpened,
    StageOpened,
    StageOverdue,
    StageSignedIn,
    StageWarned,
    SupervisionEscalated,
    SupervisionFinding,
    make_envelope,
)
from shared.contracts.common import Limit
from shared.identifiers import make_resident_id
from tests.support import events

DEPT = "500000-SCJ"
REGION = "500000"
LIMIT = Limit(value=5)


def envelope(data: EventData, at: datetime, source: str = "/egov/test") -> Envelope:
    return make_envelope(data, source=source, time=at)


def applicant_id(seq: int = 7) -> str:
    return make_resident_id("500103", date(1990, 5, 17), seq)


def case_submitted(
    case_id: str,
    at: datetime,
    *,
    applicant: str | None = None,
    name: str = "张三",
    phone: str | None = "13912345678",
    email: str | None = "zhangsan@example.cn",
    locale: str = "zh-CN",
    department: str = DEPT,
    region: str = REGION,
    verified: bool = True,
) -> CaseSubmitted:
    """``verified``: the identity provider verified phone and email as the applicant's own."""
    return CaseSubmitted(
        case_id=case_id,
        item_code="SCJ-001",
        item_name="食品经营许可",
        department=department,
        receiving_region=region,
        handling_region=region,
        channel="web",
        applicant={"kind": "person", "id_number": applicant or applicant_id(), "name": name},
        contact={
            "phone": phone,
            "email": email,
            "locale": locale,
            "phone_verified": verified,
            "email_verified": verified,
        },
        materials=[],
        promised_limit=LIMIT,
        statutory_limit=Limit(value=20),
        stage_plan=[],
        submitted_at=at,
    )


def prereview_done(
    case_id: str, at: datetime, outcome: str = "supplement_requested", department: str = DEPT
) -> PreReviewDone:
    return events.prereview_done(
        case_id,
        outcome=outcome,
        reasons=["营业执照复印件不清晰"],
        requested_materials=["营业执照"],
        department=department,
        region=REGION,
        decided_at=at,
    )


def stage_opened(
    case_id: str,
    stage_id: str,
    at: datetime,
    *,
    assignee: str | None = None,
    role: str = "handler",
    department: str = DEPT,
) -> StageOpened:
    return events.stage_opened(
        case_id,
        stage_id=stage_id,
        item_code="SCJ-001",
        department=department,
        region=REGION,
        assignee=assignee,
        required_role=role,
        opened_at=at,
        due_at=at + timedelta(days=3),
        limit=LIMIT,
    )


def signed_in(case_id: str, stage_id: str, officer: str, at: datetime) -> StageSignedIn:
    return StageSignedIn(
        case_id=case_id, stage_id=stage_id, officer=officer, department=DEPT, signed_in_at=at
    )


def _alert(
    cls: type[Any],
    case_id: str,
    stage_id: str,
    at: datetime,
    light: str,
    assignee: str | None,
    department: str,
) -> Any:
    return cls(
        case_id=case_id,
        stage_id=stage_id,
        stage="review",
        item_code="SCJ-001",
        department=department,
        region=REGION,
        assignee=assignee,
        due_at=at,
        light=light,
        at=at,
    )


def stage_warned(
    case_id: str, stage_id: str, at: datetime, assignee: str | None = None, department: str = DEPT
) -> StageWarned:
    result: StageWarned = _alert(StageWarned, case_id, stage_id, at, "yellow", assignee, department)
    return result


def stage_overdue(
    case_id: str, stage_id: str, at: datetime, assignee: str | None = None, department: str = DEPT
) -> StageOverdue:
    result: StageOverdue = _alert(StageOverdue, case_id, stage_id, at, "red", assignee, department)
    return result


def escalated(
    case_id: str,
    stage_id: str,
    at: datetime,
    rung: int,
    roles: list[str],
    card: str = "none",
    department: str = DEPT,
    region: str = REGION,
) -> SupervisionEscalated:
    return SupervisionEscalated(
        case_id=case_id,
        stage_id=stage_id,
        stage="review",
        item_code="SCJ-001",
        department=department,
        region=region,
        rung=rung,
        recipients=roles,
        card=card,
        due_at=at - timedelta(days=rung),
        escalated_at=at,
    )


def finding(case_id: str, at: datetime, department: str = DEPT) -> SupervisionFinding:
    return SupervisionFinding(
        case_id=case_id,
        kind="late_sign_in",
        detail="签收超过规定时间",
        department=department,
        region=REGION,
        found_at=at,
    )


def case_decided(case_id: str, at: datetime, decision: str = "approved") -> CaseDecided:
    return CaseDecided(
        case_id=case_id,
        decision=decision,
        reasons=["材料齐全，符合法定条件"],
        legal_basis="《食品经营许可管理办法》第十条",
        department=DEPT,
        item_code="SCJ-001",
        region=REGION,
        decided_at=at,
    )


def rectification_opened(case_id: str, at: datetime) -> RectificationOpened:
    return RectificationOpened(
        case_id=case_id,
        rectification_id=f"R-{case_id}",
        rating_level="dissatisfied",
        department=DEPT,
        item_code="SCJ-001",
        region=REGION,
        opened_at=at,
        due_at=at + timedelta(days=7),
        limit=LIMIT,
    )


def rectification_closed(case_id: str, at: datetime) -> RectificationClosed:
    return RectificationClosed(
        case_id=case_id,
        rectification_id=f"R-{case_id}",
        department=DEPT,
        officer="cq-scj-c01",
        answer="已加强窗口培训，感谢您的监督。",
        closed_at=at,
    )


def credit_changed(subject_id: str, at: datetime, kind: str = "person") -> CreditChanged:
    return CreditChanged(
        subject_id=subject_id,
        subject_kind=kind,
        previous_level="A",
        level="B",
        red_list=False,
        black_list=False,
        reason="承诺不实",
        changed_at=at,
    )


def rating_invited(case_id: str, at: datetime) -> RatingInvited:
    return RatingInvited(case_id=case_id, invited_at=at)


def deadline_changed(
    case_id: str,
    stage_id: str,
    at: datetime,
    *,
    assignee: str | None = None,
    applicant_told: bool = True,
    days: int = 2,
) -> DeadlineChanged:
    return DeadlineChanged(
        case_id=case_id,
        kind="stage",
        stage_id=stage_id,
        department=DEPT,
        region=REGION,
        assignee=assignee,
        old_due_at=at + timedelta(days=5),
        new_due_at=at + timedelta(days=5 + days),
        due_provisional=False,
        calendar_version="2027.test",
        reason="the official holiday schedule was published; the deadline is counted on it",
        applicant_told=applicant_told,
        changed_at=at,
    )
