"""One valid example payload per event type.

Used by the contract tests, as ``examples`` in the exported JSON Schemas, and by tools that
publish test traffic (the worked ``kcat`` examples in the docs start from these).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from shared.contracts import events as ev
from shared.contracts.catalog import EXAMPLES as CATALOG_EXAMPLES
from shared.contracts.envelope import Envelope, EventData, make_envelope
from shared.contracts.owed_events import OwedMaterialsSupplied

T0 = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)  # Monday 09:30 Asia/Shanghai
CASE = "500000-20260302-000042"
PERSON = "500103199005170126"
ENTITY = "91310000000000019Q"
LIMIT = {"value": 5, "unit": "working_days"}
STAGE = {
    "case_id": CASE,
    "stage_id": f"{CASE}:review",
    "department": "500000-SCJ",
}

EXAMPLES: dict[str, dict[str, Any]] = {
    ev.CaseSubmissionReceived.event_type: {
        "external_id": "APP-7731-0001",
        "source_system": "cq-mobile-app",
        "applicant": {"kind": "person", "id_number": PERSON, "name": "张三"},
        "contact": {"phone": "13800138000", "email": "zhangsan@example.cn", "locale": "zh-CN"},
        "item_code": "500000-SCJ-001",
        "form": {"business_name": "山城小面馆"},
        "materials": [
            {"code": "id_card", "form": "elicense", "licence_ref": "EL-ID-500103199005170126"}
        ],
        "channel": "app",
        "receiving_region": "500000",
        "handling_region": "500000",
        "submitted_at": T0.isoformat(),
    },
    ev.BundleSubmissionReceived.event_type: {
        "external_id": "APP-7731-0002",
        "source_system": "cq-mobile-app",
        "applicant": {"kind": "person", "id_number": PERSON, "name": "张三"},
        "contact": {"phone": "13800138000", "locale": "zh-CN"},
        "bundle_code": "500000-YJS-001",
        "form": {"company_name": "山城小面有限公司", "registered_capital_yuan": 100000},
        "materials": [
            {"code": "legal_rep_id", "form": "elicense", "licence_ref": "EL-ID-500103199005170126"}
        ],
        "channel": "app",
        "receiving_region": "500000",
        "submitted_at": T0.isoformat(),
    },
    ev.CaseSubmitted.event_type: {
        "case_id": CASE,
        "item_code": "500000-SCJ-001",
        "item_name": "个体工商户设立登记",
        "department": "500000-SCJ",
        "receiving_region": "500000",
        "handling_region": "500000",
        "channel": "web",
        "applicant": {"kind": "person", "id_number": PERSON, "name": "张三"},
        "contact": {"phone": "13800138000", "locale": "zh-CN"},
        "materials": [
            {"code": "application_form", "form": "upload", "sha256": "a" * 64, "size": 1024}
        ],
        "commitment_used": False,
        "credit_check": {"level": "A", "red_list": True},
        "promised_limit": {"value": 3, "unit": "working_days"},
        "statutory_limit": {"value": 15, "unit": "working_days"},
        "stage_plan": [
            {
                "stage": "accept",
                "name": "受理",
                "limit": {"value": 1},
                "departments": ["500000-SCJ"],
            },
            {
                "stage": "review",
                "name": "审查",
                "limit": {"value": 1},
                "departments": ["500000-SCJ"],
                "required_role": "reviewer",
            },
            {
                "stage": "decide",
                "name": "决定",
                "limit": {"value": 1},
                "departments": ["500000-SCJ"],
                "required_role": "approver",
            },
        ],
        "required_materials": ["application_form"],
        "submitted_at": T0.isoformat(),
    },
    ev.CaseSupplemented.event_type: {
        "case_id": CASE,
        "materials": [{"code": "lease", "form": "upload", "sha256": "b" * 64, "size": 2048}],
        "supplemented_at": T0.isoformat(),
    },
    OwedMaterialsSupplied.event_type: {
        "case_id": CASE,
        "materials": [{"code": "lease", "form": "upload", "sha256": "b" * 64, "size": 2048}],
        "remaining": [],
        "supplied_at": T0.isoformat(),
    },
    ev.CaseRated.event_type: {
        "case_id": CASE,
        "rating_id": "R-1",
        "level": "dissatisfied",
        "scores": {"speed": 2},
        "comment": "等待时间太长",
        "department": "500000-SCJ",
        "item_code": "500000-SCJ-001",
        "region": "500000",
        "rated_at": T0.isoformat(),
    },
    ev.RatingInvited.event_type: {"case_id": CASE, "invited_at": T0.isoformat()},
    ev.RectificationOpened.event_type: {
        "case_id": CASE,
        "rectification_id": "RECT-1",
        "rating_level": "dissatisfied",
        "department": "500000-SCJ",
        "item_code": "500000-SCJ-001",
        "region": "500000",
        "opened_at": T0.isoformat(),
        "due_at": "2026-03-09T23:59:59+08:00",
        "limit": LIMIT,
    },
    ev.RectificationClosed.event_type: {
        "case_id": CASE,
        "rectification_id": "RECT-1",
        "department": "500000-SCJ",
        "officer": "cq-scj-head",
        "answer": "已约谈经办人并优化流程",
        "closed_at": T0.isoformat(),
    },
    ev.PreReviewDone.event_type: {
        "case_id": CASE,
        "outcome": "supplement_requested",
        "reasons": ["缺少房屋租赁合同"],
        "requested_materials": ["lease"],
        "officer": "cq-scj-h1",
        "department": "500000-SCJ",
        "region": "500000",
        "decided_at": T0.isoformat(),
        "document": {
            "key": f"documents/{CASE}/decision-approved.pdf",
            "sha256": "5" * 64,
            "size": 18_342,
        },
    },
    ev.CaseArchived.event_type: {
        "case_id": CASE,
        "item_code": "500000-SCJ-001",
        "department": "500000-SCJ",
        "region": "500000",
        "manifest": {"key": f"archive/{CASE}/manifest.json", "sha256": "7" * 64, "size": 9_120},
        "audit_count": 14,
        "audit_head": "9" * 64,
        "retain_until": "2056-03-02T10:00:00+08:00",
        "archived_at": T0.isoformat(),
    },
    ev.StageOpened.event_type: {
        **STAGE,
        "stage": "review",
        "name": "审查",
        "item_code": "500000-SCJ-001",
        "region": "500000",
        "required_role": "reviewer",
        "opened_at": T0.isoformat(),
        "due_at": "2026-03-03T23:59:59+08:00",
        "limit": {"value": 1, "unit": "working_days"},
        "promised_limit": {"value": 3},
        "statutory_limit": {"value": 15},
    },
    ev.StageSignedIn.event_type: {**STAGE, "officer": "cq-scj-r1", "signed_in_at": T0.isoformat()},
    ev.StageSuspended.event_type: {
        "case_id": CASE,
        "stage_id": f"{CASE}:review",
        "reason": "expert_review",
        "max_length": {"value": 10},
        "suspended_at": T0.isoformat(),
    },
    ev.StageResumed.event_type: {
        "case_id": CASE,
        "stage_id": f"{CASE}:review",
        "resumed_at": T0.isoformat(),
        "due_at": "2026-03-05T23:59:59+08:00",
    },
    ev.StageClosed.event_type: {
        **STAGE,
        "stage": "review",
        "outcome": "passed",
        "officer": "cq-scj-r1",
        "closed_at": T0.isoformat(),
    },
    ev.CaseDecided.event_type: {
        "case_id": CASE,
        "decision": "approved",
        "licence_ref": "EL-500000-SCJ-001-" + CASE,
        "department": "500000-SCJ",
        "item_code": "500000-SCJ-001",
        "region": "500000",
        "decided_at": T0.isoformat(),
    },
    ev.StageWarned.event_type: {
        **STAGE,
        "stage": "review",
        "item_code": "500000-SCJ-001",
        "region": "500000",
        "due_at": "2026-03-03T23:59:59+08:00",
        "light": "yellow",
        "at": T0.isoformat(),
    },
    ev.StageOverdue.event_type: {
        **STAGE,
        "stage": "review",
        "item_code": "500000-SCJ-001",
        "region": "500000",
        "due_at": "2026-03-03T23:59:59+08:00",
        "light": "red",
        "at": T0.isoformat(),
    },
    ev.SupervisionEscalated.event_type: {
        **STAGE,
        "stage": "review",
        "item_code": "500000-SCJ-001",
        "region": "500000",
        "rung": 2,
        "recipients": ["section_chief"],
        "card": "yellow",
        "due_at": "2026-03-03T23:59:59+08:00",
        "escalated_at": T0.isoformat(),
    },
    ev.SupervisionFinding.event_type: {
        **STAGE,
        "kind": "late_sign_in",
        "detail": "signed in 9.5 working hours after opening",
        "region": "500000",
        "item_code": "500000-SCJ-001",
        "found_at": T0.isoformat(),
    },
    ev.CreditIncident.event_type: {
        "subject_id": ENTITY,
        "subject_kind": "entity",
        "subject_name": "重庆某某餐饮有限公司",
        "incident_type": "court_judgment_default",
        "severity": "serious",
        "source_system": "cq-court",
        "evidence": ["(2026)渝01执123号"],
        "region": "500000",
        "occurred_at": T0.isoformat(),
    },
    ev.CreditChanged.event_type: {
        "subject_id": ENTITY,
        "subject_kind": "entity",
        "previous_level": "A",
        "level": "C",
        "red_list": False,
        "black_list": False,
        "reason": "new serious record",
        "changed_at": T0.isoformat(),
    },
    ev.DeadlineChanged.event_type: {
        **STAGE,
        "kind": "stage",
        "region": "500000",
        "assignee": "cq-scj-r1",
        "old_due_at": "2027-02-10T23:59:59+08:00",
        "new_due_at": "2027-02-15T23:59:59+08:00",
        "due_provisional": False,
        "calendar_version": "2027.5c1e09aa",
        "reason": "the official holiday schedule was published; the deadline is counted on it",
        "applicant_told": True,
        "changed_at": "2026-12-22T10:00:00+08:00",
    },
    ev.CalendarPublished.event_type: {
        "year": 2027,
        "source": "国务院办公厅关于2027年部分节假日安排的通知",
        "published": "2026-12-22",
        "off": ["2027-01-01", "2027-02-05", "2027-02-06", "2027-02-07", "2027-02-08"],
        "extra_working_days": ["2027-02-20"],
        "calendar_version": "2027.5c1e09aa",
        "published_at": "2026-12-22T10:00:00+08:00",
    },
    ev.NotificationDelivered.event_type: {
        "notification_id": "N-1",
        "source_event_id": "e1",
        "source_event_type": ev.StageOverdue.event_type,
        "case_id": CASE,
        "recipient": "cq-scj-r1",
        "recipient_kind": "officer",
        "channel": "email",
        "template": "stage_overdue",
        "latency_s": 0.8,
        "delivered_at": T0.isoformat(),
    },
    ev.NotificationFailed.event_type: {
        "notification_id": "N-2",
        "source_event_id": "e1",
        "source_event_type": ev.StageOverdue.event_type,
        "case_id": CASE,
        "recipient": "138****8000",
        "recipient_kind": "applicant",
        "channel": "sms",
        "template": "stage_overdue",
        "attempts": 5,
        "error": "gateway: invalid number",
        "failed_at": T0.isoformat(),
    },
    ev.LicenceIssued.event_type: {
        "licence_ref": f"EL-500000-SCJ-002-{CASE}",
        "licence_type": "food_business_licence",
        "name": "食品经营许可证",
        "holder": ENTITY,
        "valid_from": "2026-03-02",
        "valid_until": "2031-03-01",
        "department": "500000-SCJ",
        "region": "500000",
        "case_id": CASE,
        "issued_at": T0.isoformat(),
        "document": {
            "key": f"documents/{CASE}/licence-EL-500000-SCJ-002-{CASE}.pdf",
            "sha256": "6" * 64,
            "size": 21_004,
        },
    },
    ev.LicenceRevoked.event_type: {
        "licence_ref": f"EL-500000-SCJ-002-{CASE}",
        "case_id": CASE,
        "reason": "告知承诺核查：承诺内容与实际不符",
        "revoked_at": T0.isoformat(),
    },
    # Signed with the published development key (shared/audit/keys.py), so it verifies there.
    ev.AuditCheckpoint.event_type: {
        "chain": "approval.case",
        "chain_id": CASE,
        "count": 3,
        "head": "961c80db60d62f5092574a1995c8c8dd533fe5b9207353d1733be1927bb3e862",
        "recorded_at": T0.isoformat(),
        "key_id": "89d2f487f6de",
        "signature": "1aa01a7918910c72bcd5607be822d74797559680b38f96729f1e0226cf572c93",
    },
    **CATALOG_EXAMPLES,
}


def example_data(event_type: str) -> EventData:
    from shared.contracts.registry import model_for

    return model_for(event_type).model_validate(EXAMPLES[event_type])


def example_envelope(
    event_type: str, *, id: str | None = None, source: str = "/egov/example"
) -> Envelope:
    return make_envelope(example_data(event_type), source=source, time=T0, id=id)
