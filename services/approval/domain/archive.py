"""The sealed archive (docs/archive.md): when a finished case is sealed, what its dossier
manifest holds, how long it is kept, and legal holds. Approval owns it: it knows the decisions,
the stages and the audit-chained timeline, and intake's materials pass to the archive with the
case (the manifest names them by key and hash).

A case is finished when it is terminal (completed after delivery and any commitment
verification, or denied, refused, lapsed, failed at pre-review, revoked) with no stage left
open; one that issued an e-licence waits until the licence's PDF is on the case too."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from services.approval.domain.model import (
    ActionNotAllowed,
    ArchiveRecord,
    Case,
    InvalidAction,
    IssuedDocument,
)
from services.approval.domain.stages import Transition
from services.approval.domain.timing import Calendar
from shared.contracts import CaseArchived, DocumentRef
from shared.objectstore import material_key

DOSSIER_FORMAT = "egov.dossier.v1"
DEFAULT_RETENTION_YEARS = 10  # cases submitted before the catalog named a retention


def is_finished(case: Case) -> bool:
    return case.is_terminal and not case.active_stages()


def awaiting_licence(case: Case) -> bool:
    return case.licence_ref is not None and not any(
        d.name == f"licence-{case.licence_ref}" for d in case.documents
    )


def ready_to_seal(case: Case) -> bool:
    return case.archive is None and is_finished(case) and not awaiting_licence(case)


def retain_until(sealed_at: datetime, years: int) -> datetime:
    try:
        return sealed_at.replace(year=sealed_at.year + years)
    except ValueError:  # 29 February in a year without one
        return sealed_at.replace(year=sealed_at.year + years, day=28)


def stored_objects(case: Case) -> list[tuple[str, str, str | None]]:
    """(what, key, sha256) of every object of the dossier except the manifest."""
    found: list[tuple[str, str, str | None]] = [
        (f"material {m.code}", material_key(m.upload_id), m.sha256)
        for m in case.materials
        if m.upload_id is not None
    ]
    found += [(f"document {d.name}", d.key, d.sha256) for d in case.documents]
    return found


def manifest(case: Case, timeline: list[dict[str, Any]], *, sealed_at: datetime) -> dict[str, Any]:
    """The dossier: every material and issued document with its hash, the decisions and stages,
    the timeline as chained, and the chain's head it ends at."""
    years = case.retention_years or DEFAULT_RETENTION_YEARS
    return {
        "format": DOSSIER_FORMAT,
        "case_id": case.case_id,
        "item_code": case.item_code,
        "item_name": case.item_name,
        "department": case.department,
        "region": case.region,
        "status": case.status.value,
        "decision": case.decision,
        "licence_ref": case.licence_ref,
        "submitted_at": case.submitted_at.isoformat(),
        "sealed_at": sealed_at.isoformat(),
        "retention_years": years,
        "retain_until": retain_until(sealed_at, years).isoformat(),
        "materials": [
            {**m.model_dump(mode="json"), "key": material_key(m.upload_id) if m.upload_id else None}
            for m in case.materials
        ],
        "documents": [d.model_dump(mode="json") for d in case.documents],
        "decisions": [e for e in timeline if e.get("action") == "case_decided"],
        "stages": [s.model_dump(mode="json", include=STAGE_FIELDS) for s in case.stages.values()],
        "timeline": timeline,
        "audit": {"count": case.audit_seq, "head": case.audit_head},
    }


STAGE_FIELDS = {
    "stage_id", "kind", "name", "department", "opened_at", "due_at", "outcome", "closed_at",
    "closed_by", "reason", "legal_basis", "suspensions",
}  # fmt: skip


def manifest_bytes(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, ensure_ascii=False, sort_keys=True, indent=1, default=str).encode()


def seal(case: Case, ref: DocumentRef, *, sealed_at: datetime, calendar: Calendar) -> Transition:
    """The manifest is stored: its hash and the chain head it covers go on the case, the
    timeline and the bus (case.archived)."""
    if not ready_to_seal(case):
        raise ActionNotAllowed(f"case {case.case_id} is not ready to be sealed", [])
    tr = Transition(case=case.model_copy(deep=True), now=sealed_at, calendar=calendar)
    until = retain_until(sealed_at, case.retention_years or DEFAULT_RETENTION_YEARS)
    tr.case.archive = ArchiveRecord(
        key=ref.key,
        sha256=ref.sha256,
        size=ref.size,
        sealed_at=sealed_at,
        retain_until=until,
        audit_count=case.audit_seq,
        audit_head=case.audit_head,
    )
    tr.record("case_archived", "system", key=ref.key, sha256=ref.sha256, retain_until=str(until))
    tr.emit(
        CaseArchived(
            case_id=case.case_id,
            item_code=case.item_code,
            department=case.department,
            region=case.region,
            manifest=ref,
            audit_count=case.audit_seq,
            audit_head=case.audit_head,
            retain_until=until,
            archived_at=sealed_at,
        ),
        "archived",
    )
    return tr


def set_legal_hold(
    case: Case, *, reason: str | None, actor: str, now: datetime, calendar: Calendar
) -> Transition:
    """Put (``reason``) or lift (None) a legal hold: while it holds nothing of the dossier is
    deleted, whatever its retention says."""
    archive = case.archive
    if archive is None or archive.purged_at is not None:
        state = "was deleted" if archive else "is not sealed yet"
        raise ActionNotAllowed(f"the archive of case {case.case_id} {state}", [])
    if reason is not None and not reason.strip():
        raise InvalidAction("reason", "a legal hold needs its reason")
    tr = Transition(case=case.model_copy(deep=True), now=now, calendar=calendar)
    assert tr.case.archive is not None
    tr.case.archive.legal_hold = reason
    if reason is None:
        tr.record("legal_hold_lifted", actor, previous=archive.legal_hold)
    else:
        tr.record("legal_hold_placed", actor, reason=reason)
    return tr


def expired(case: Case, now: datetime) -> bool:
    archive = case.archive
    return (
        archive is not None
        and archive.purged_at is None
        and archive.legal_hold is None
        and archive.retain_until <= now
    )


def purge(case: Case, *, now: datetime, calendar: Calendar) -> tuple[Transition, list[str]]:
    """The transition recording an expired dossier's deletion and the keys to delete (the
    manifest last: it names the rest)."""
    if not expired(case, now):
        raise ActionNotAllowed(f"the archive of case {case.case_id} has not expired", [])
    assert case.archive is not None
    keys = [key for _, key, _ in stored_objects(case)] + [case.archive.key]
    tr = Transition(case=case.model_copy(deep=True), now=now, calendar=calendar)
    assert tr.case.archive is not None
    tr.case.archive.purged_at = now
    tr.record(
        "archive_purged", "system", objects=len(keys), retain_until=str(case.archive.retain_until)
    )
    return tr, keys


def record_document(
    case: Case, document: IssuedDocument, *, now: datetime, calendar: Calendar
) -> Transition | None:
    """A document another service issued for the case (intake's e-licence); None if known."""
    if any(d.name == document.name and d.sha256 == document.sha256 for d in case.documents):
        return None
    tr = Transition(case=case.model_copy(deep=True), now=now, calendar=calendar)
    tr.case.documents = [d for d in tr.case.documents if d.name != document.name] + [document]
    tr.record(
        "document_issued",
        "system",
        document=document.name,
        key=document.key,
        sha256=document.sha256,
    )
    return tr
