"""What the applicant sees of a bundle (GET /v1/bundles/{id}): its overall state and deadline,
each item's state, and what is owed per item (asked in a supplement request, or owed after
acceptance with gaps)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from services.intake.domain.bundle_case import (
    BUNDLE_STATUS_TEXT,
    BundleApplication,
    outcome,
)
from services.intake.domain.bundle_clock import current_stop
from services.intake.domain.case import STATUS_TEXT, CaseRecord, CaseStatus, local_text
from services.intake.domain.owed import remaining


def bundle_view(
    app: BundleApplication, cases: Mapping[str, CaseRecord], *, now: datetime
) -> dict[str, Any]:
    state = app.outcome or outcome(app, cases)
    stop = current_stop(app)
    items = [_item_view(app, entry.case_id, cases) for entry in app.items]
    owed = [o for cid in app.case_ids if (c := cases.get(cid)) is not None for o in _owed(c)]
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
        # stopped while one of its items waits on the applicant or a special procedure
        "clock_stopped": state == "in_progress" and stop is not None,
        "overdue": state == "in_progress" and (stop.started_at if stop else now) > app.due_at,
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


def _owed(case: CaseRecord) -> list[dict[str, Any]]:
    """What an item owes: the materials asked in an open supplement request (``supplement``,
    answered at .../supplements) and those still owed after acceptance with gaps
    (``accept_with_gaps``, 容缺受理, with their deadline, supplied at .../owed-materials)."""
    found: list[dict[str, Any]] = []
    where = {"item_code": case.item_code, "case_id": case.case_id}
    if case.status is CaseStatus.SUPPLEMENT_REQUESTED:
        found.append({**where, "kind": "supplement", "materials": case.requested_materials})
    gaps = remaining(case)
    # an approval under a deliver hold still waits for it; any other end closes it
    if gaps and case.owed is not None and case.decision in (None, "approved"):
        found.append(
            {
                **where,
                "kind": "accept_with_gaps",
                "materials": [m.code for m in gaps],
                "due_at": case.owed.due_at.isoformat(),
                "due_text": local_text(case.owed.due_at)
                + ("（暂定）" if case.owed.due_provisional else ""),
                "supply_url": f"/v1/cases/{case.case_id}/owed-materials",
            }
        )
    return found
