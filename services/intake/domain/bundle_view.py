"""What the applicant sees of a bundle (GET /v1/bundles/{id}): its overall state and deadline,
each item's state, and what is owed (materials asked in a supplement request)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from services.intake.domain.bundle_case import (
    BUNDLE_STATUS_TEXT,
    BundleApplication,
    outcome,
)
from services.intake.domain.case import STATUS_TEXT, CaseRecord, CaseStatus, local_text


def bundle_view(
    app: BundleApplication, cases: Mapping[str, CaseRecord], *, now: datetime
) -> dict[str, Any]:
    state = app.outcome or outcome(app, cases)
    items = [_item_view(app, entry.case_id, cases) for entry in app.items]
    owed = [
        {"item_code": c.item_code, "case_id": c.case_id, "materials": c.requested_materials}
        for c in (cases.get(cid) for cid in app.case_ids)
        if c is not None and c.status is CaseStatus.SUPPLEMENT_REQUESTED
    ]
    stopped_by = [
        i["item_code"]
        for i in items
        if i["status"] == CaseStatus.DECIDED.value and i["decision"] != "approved"
    ]
    return {
        "bundle_id": app.bundle_id,
        "bundle_code": app.bundle_code,
        "bundle_name": app.bundle_name,
        "status": state,
        "status_text": BUNDLE_STATUS_TEXT[state],
        "submitted_at": app.submitted_at.isoformat(),
        "promised_limit": app.promised_limit.model_dump(mode="json"),
        "deadline": app.due_at.isoformat(),
        "deadline_text": local_text(app.due_at) + ("（暂定）" if app.due_provisional else ""),
        "overdue": state == "in_progress" and now > app.due_at,
        "items": items,
        "owed": owed,
        "stopped_by": stopped_by,
        "rated": app.rating is not None,
    }


def _item_view(
    app: BundleApplication, case_id: str, cases: Mapping[str, CaseRecord]
) -> dict[str, Any]:
    entry = next(i for i in app.items if i.case_id == case_id)
    case = cases.get(case_id)
    status = case.status if case is not None else CaseStatus.SUBMITTED
    return {
        "item_code": entry.item_code,
        "item_name": entry.item_name,
        "case_id": case_id,
        "status": status.value,
        "status_text": STATUS_TEXT[status],
        "after": entry.after,
        "waiting_for": case.waiting_for if case is not None else [],
        "decision": case.decision if case is not None else None,
        "tracking_url": f"/v1/cases/{case_id}",
    }
