"""docs/archive.md, the sealed dossier's rules on the domain itself: what the manifest holds and
how it is stored, what sealing records, the retention (29 February included), legal holds, the
deletion of an expired dossier and the documents another service issues for the case. The cases
come from the service's real bootstrap (fakes passed in); the rules are then called directly."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.approval.domain import Action, Case
from services.approval.domain.archive import (
    expired,
    manifest,
    manifest_bytes,
    purge,
    record_document,
    retain_until,
    seal,
    set_legal_hold,
)
from services.approval.domain.audit import AuditRecord
from services.approval.domain.model import ActionNotAllowed, InvalidAction, IssuedDocument
from shared.calendar import load_default_calendar
from shared.contracts import DocumentRef
from shared.objectstore import manifest_key, material_key
from tests.unit.approval.approval_fakes import MONDAY_10, make_deps
from tests.unit.approval.test_approval_archive import UPLOAD, UPLOAD_ID, case_of, run_to_decision
from tests.unit.approval.test_approval_workflow import store, submit

CAL = load_default_calendar()
LATER = MONDAY_10 + timedelta(days=3)
# The stage fields docs/archive.md names: outcome, officer, reasons, legal basis, suspensions,
# with the stage's identity and its instants.
STAGE_KEYS = {
    "stage_id", "kind", "name", "department", "opened_at", "due_at", "outcome", "closed_at",
    "closed_by", "reason", "legal_basis", "suspensions",
}  # fmt: skip


async def denied() -> tuple[Case, list[dict[str, Any]]]:
    """A denied case, sealed at once, and its timeline."""
    deps = make_deps()
    await run_to_decision(deps, Action.DENY)
    return await case_of(deps), await store(deps).timeline("C1")


async def open_case() -> Case:
    return await submit(make_deps(), materials=[UPLOAD])


def test_retention_counts_whole_years_and_29_february_ends_on_28_february() -> None:
    assert retain_until(MONDAY_10, 10) == MONDAY_10.replace(year=2036)
    leap = datetime(2028, 2, 29, 9, 30, tzinfo=UTC)
    assert retain_until(leap, 10) == datetime(2038, 2, 28, 9, 30, tzinfo=UTC)
    assert retain_until(leap, 30) == datetime(2058, 2, 28, 9, 30, tzinfo=UTC)


async def test_the_manifest_names_the_case_its_instants_and_its_retention() -> None:
    case, timeline = await denied()
    doc = manifest(case, timeline, sealed_at=LATER)
    assert set(doc) == {
        "format", "case_id", "item_code", "item_name", "department", "region", "status",
        "decision", "licence_ref", "submitted_at", "sealed_at", "retention_years",
        "retain_until", "materials", "documents", "decisions", "stages", "timeline", "audit",
    }  # fmt: skip
    lists = {"materials", "documents", "decisions", "stages", "timeline"}
    assert {k: v for k, v in doc.items() if k not in lists} == {
        "format": "egov.dossier.v1",
        "case_id": "C1",
        "item_code": "500000-SCJ-001",
        "item_name": "食品经营许可",
        "department": "500000-SCJ",
        "region": "500000",
        "status": case.status.value,
        "decision": "denied",
        "licence_ref": None,
        "submitted_at": MONDAY_10.isoformat(),
        "sealed_at": LATER.isoformat(),
        "retention_years": 10,
        "retain_until": LATER.replace(year=2036).isoformat(),
        "audit": {"count": case.audit_seq, "head": case.audit_head},
    }
    assert doc["timeline"] == timeline


async def test_the_manifest_is_plain_json_with_materials_documents_and_stage_fields() -> None:
    case, timeline = await denied()
    doc = manifest(case, timeline, sealed_at=LATER)
    # One JSON object: every value already a JSON type (instants as ISO text), nothing to convert.
    assert json.loads(json.dumps(doc)) == doc
    [material] = doc["materials"]
    assert material["key"] == material_key(UPLOAD_ID)
    assert (material["sha256"], material["size"]) == (UPLOAD.sha256, UPLOAD.size)
    assert [d["name"] for d in doc["documents"]] == ["decision-denied"]
    issued_at = doc["documents"][0]["issued_at"]
    assert datetime.fromisoformat(issued_at) == case.documents[0].issued_at
    assert doc["stages"] and all(set(s) == STAGE_KEYS for s in doc["stages"])
    assert [s["stage_id"] for s in doc["stages"]] == list(case.stages)
    decide = next(s for s in doc["stages"] if s["kind"] == "decide")
    assert decide["legal_basis"] == "《食品经营许可管理办法》第十二条"
    assert datetime.fromisoformat(decide["opened_at"]) == case.stages[decide["stage_id"]].opened_at


def _pairs_sorted(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    assert keys == sorted(keys), keys
    return dict(pairs)


async def test_the_stored_manifest_is_utf8_json_one_key_a_line_keys_sorted() -> None:
    case, timeline = await denied()
    doc = manifest(case, timeline, sealed_at=LATER)
    data = manifest_bytes(doc)
    assert json.loads(data, object_pairs_hook=_pairs_sorted) == doc  # sorted at every level
    text = data.decode("utf-8")
    assert '"item_name": "食品经营许可"' in text  # readable, not \u-escaped
    lines = text.splitlines()
    assert lines[0] == "{" and lines[1] == ' "audit": {' and lines[2].startswith('  "count": ')


async def test_a_value_json_has_no_type_for_is_written_as_its_text_not_a_failed_seal() -> None:
    case, timeline = await denied()
    doc = manifest(case, timeline, sealed_at=LATER) | {"extra": LATER}
    assert json.loads(manifest_bytes(doc))["extra"] == str(LATER)


def _ref(case: Case) -> DocumentRef:
    return DocumentRef(key=manifest_key(case.case_id), sha256="ab" * 32, size=123)


async def test_an_unfinished_case_cannot_be_sealed() -> None:
    case = await open_case()
    with pytest.raises(ActionNotAllowed) as exc:
        seal(case, _ref(case), sealed_at=LATER, calendar=CAL)
    assert "case C1" in str(exc.value) and "sealed" in str(exc.value)
    assert exc.value.allowed == []


async def test_sealing_records_the_manifest_on_the_timeline_and_the_bus() -> None:
    case, _ = await denied()
    unsealed = case.model_copy(update={"archive": None})
    ref = _ref(case)
    tr = seal(unsealed, ref, sealed_at=LATER, calendar=CAL)
    until = LATER.replace(year=2036)
    assert tr.case.archive is not None and tr.case.archive.retain_until == until
    assert tr.audit == [
        AuditRecord(
            action="case_archived",
            actor="system",
            detail={"key": ref.key, "sha256": ref.sha256, "retain_until": str(until)},
        )
    ]
    [event] = tr.events
    assert event.key == ("C1", "archived")
    assert event.data.manifest == ref  # type: ignore[attr-defined]
    assert unsealed.archive is None


async def test_a_hold_needs_a_sealed_undeleted_dossier() -> None:
    case = await open_case()
    with pytest.raises(ActionNotAllowed) as exc:
        set_legal_hold(case, reason="诉讼", actor="admin", now=LATER, calendar=CAL)
    assert str(exc.value) == "the archive of case C1 is not sealed yet"
    assert exc.value.allowed == []

    sealed, _ = await denied()
    assert sealed.archive is not None
    gone = sealed.model_copy(
        update={"archive": sealed.archive.model_copy(update={"purged_at": LATER})}
    )
    with pytest.raises(ActionNotAllowed) as exc:
        set_legal_hold(gone, reason="诉讼", actor="admin", now=LATER, calendar=CAL)
    assert str(exc.value) == "the archive of case C1 was deleted"


async def test_a_hold_needs_its_reason() -> None:
    case, _ = await denied()
    with pytest.raises(InvalidAction) as exc:
        set_legal_hold(case, reason="  ", actor="admin", now=LATER, calendar=CAL)
    assert (exc.value.field, exc.value.message) == ("reason", "a legal hold needs its reason")


async def test_a_hold_is_placed_and_lifted_on_the_record_with_who_and_why() -> None:
    case, _ = await denied()
    placed = set_legal_hold(case, reason="诉讼保全", actor="admin-1", now=LATER, calendar=CAL)
    assert placed.case.archive is not None and placed.case.archive.legal_hold == "诉讼保全"
    assert placed.audit == [
        AuditRecord(action="legal_hold_placed", actor="admin-1", detail={"reason": "诉讼保全"})
    ]
    assert case.archive is not None and case.archive.legal_hold is None  # the input unchanged

    held = placed.case
    lifted = set_legal_hold(held, reason=None, actor="admin-2", now=LATER, calendar=CAL)
    assert lifted.case.archive is not None and lifted.case.archive.legal_hold is None
    assert lifted.audit == [
        AuditRecord(action="legal_hold_lifted", actor="admin-2", detail={"previous": "诉讼保全"})
    ]
    assert held.archive is not None and held.archive.legal_hold == "诉讼保全"


async def test_a_dossier_expires_at_its_retain_until_unless_held_or_deleted() -> None:
    case, _ = await denied()
    assert case.archive is not None
    until = case.archive.retain_until
    assert not expired(case, until - timedelta(seconds=1))
    assert expired(case, until)  # as the sweep's query (retain_until <= now) selects it
    held = set_legal_hold(case, reason="诉讼", actor="a", now=LATER, calendar=CAL).case
    assert not expired(held, until + timedelta(days=1))
    with pytest.raises(ActionNotAllowed) as exc:
        purge(held, now=until + timedelta(days=1), calendar=CAL)
    assert str(exc.value) == "the archive of case C1 has not expired"
    assert exc.value.allowed == []
    gone, _ = purge(case, now=until, calendar=CAL)
    assert not expired(gone.case, until + timedelta(days=1))


async def test_purging_deletes_materials_and_documents_then_the_manifest() -> None:
    case, _ = await denied()
    assert case.archive is not None
    now = case.archive.retain_until + timedelta(hours=1)
    tr, keys = purge(case, now=now, calendar=CAL)
    assert keys == [material_key(UPLOAD_ID), case.documents[0].key, manifest_key("C1")]
    assert tr.case.archive is not None and tr.case.archive.purged_at == now
    assert tr.audit == [
        AuditRecord(
            action="archive_purged",
            actor="system",
            detail={"objects": 3, "retain_until": str(case.archive.retain_until)},
        )
    ]
    assert case.archive.purged_at is None  # the input unchanged


def _issued(name: str, content: bytes) -> IssuedDocument:
    return IssuedDocument(
        name=name,
        key=f"documents/C1/{name}.pdf",
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        issued_at=LATER,
    )


async def test_an_issued_document_joins_the_case_once_and_a_new_version_replaces_it() -> None:
    case = await open_case()
    first = _issued("licence-EL-1", b"v1")
    tr = record_document(case, first, now=LATER, calendar=CAL)
    assert tr is not None and tr.case.documents == [first]
    assert tr.audit == [
        AuditRecord(
            action="document_issued",
            actor="system",
            detail={"document": first.name, "key": first.key, "sha256": first.sha256},
        )
    ]
    assert record_document(tr.case, first, now=LATER, calendar=CAL) is None  # known

    second = _issued("licence-EL-1", b"v2")  # same name, new content: replaces it
    again = record_document(tr.case, second, now=LATER, calendar=CAL)
    assert again is not None and again.case.documents == [second]

    twin = _issued("licence-EL-2", b"v1")  # another name, same bytes: a document of its own
    both = record_document(tr.case, twin, now=LATER, calendar=CAL)
    assert both is not None and both.case.documents == [first, twin]
