"""Issue 20, the sealed archive: a finished case's dossier manifest (materials, issued
documents, decisions, timeline, audit head) is stored and its hash recorded on the case and
published; `egov archive verify` recomputes every hash; the retention sweep deletes only what
has expired and is not on legal hold."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import httpx

from services.approval.bootstrap import create_api
from services.approval.domain import Action, Case
from services.approval.handlers import (
    Deps,
    legal_hold,
    on_case_submitted,
    on_licence_issued,
    purge_expired,
    seal_finished,
    verify_archive,
)
from shared.clock import FixedClock
from shared.contracts import DocumentRef, LicenceIssued, Material, MaterialForm, make_envelope
from shared.objectstore import document_key, manifest_key, material_key
from tests.support.fake_objects import FakeObjectStore
from tests.unit.approval.approval_fakes import MONDAY_10, envelope_of, make_deps, submitted
from tests.unit.approval.test_approval_materials import officer
from tests.unit.approval.test_approval_workflow import (
    APPROVER,
    HANDLER,
    REVIEWER,
    signed,
    store,
    submit,
)

UPLOAD_ID = "up-" + "A" * 32
SCAN = b"%PDF-1.7 the applicant's form"
UPLOAD = Material(
    code="licence_form",
    form=MaterialForm.UPLOAD,
    upload_id=UPLOAD_ID,
    sha256=hashlib.sha256(SCAN).hexdigest(),
    size=len(SCAN),
    media_type="application/pdf",
)
LICENCE_PDF = b"%PDF-1.7 the licence"


def objects(deps: Deps) -> FakeObjectStore:
    assert isinstance(deps.objects, FakeObjectStore)
    return deps.objects


def clock(deps: Deps) -> FixedClock:
    assert isinstance(deps.clock, FixedClock)
    return deps.clock


async def case_of(deps: Deps) -> Case:
    case = await deps.store.get("C1")
    assert case is not None
    return case


async def run_to_decision(deps: Deps, action: Action = Action.APPROVE, **kw: object) -> Case:
    objects(deps).objects[material_key(UPLOAD_ID)] = SCAN
    await submit(deps, materials=[UPLOAD], **kw)
    await signed(deps, "C1", "prereview", Action.PASS, HANDLER)
    await signed(deps, "C1", "accept", Action.ACCEPT, HANDLER)
    await signed(deps, "C1", "review", Action.PASS, REVIEWER)
    params = {"reasons": ["场所不符合要求"], "legal_basis": "《食品经营许可管理办法》第十二条"}
    params = params if action == Action.DENY else {}
    return await signed(deps, "C1", "decide", action, APPROVER, **params)


async def licence_issued(deps: Deps) -> None:
    key = document_key("C1", "licence-EL-500000-SCJ-001-C1")
    objects(deps).objects[key] = LICENCE_PDF
    data = LicenceIssued(
        licence_ref="EL-500000-SCJ-001-C1",
        licence_type="food_business_licence",
        name="食品经营许可证",
        holder="91500000MA5U000000",
        valid_from=MONDAY_10.date(),
        department="500000-SCJ",
        region="500000",
        case_id="C1",
        issued_at=MONDAY_10,
        document=DocumentRef(
            key=key, sha256=hashlib.sha256(LICENCE_PDF).hexdigest(), size=len(LICENCE_PDF)
        ),
    )
    await on_licence_issued(deps, make_envelope(data, source="/egov/intake", time=MONDAY_10), data)


async def test_a_delivered_licence_case_is_sealed_once_its_licence_pdf_is_known() -> None:
    deps = make_deps()
    await run_to_decision(deps)
    case = await signed(deps, "C1", "deliver", Action.DELIVER, HANDLER)
    assert case.archive is None  # finished, but the licence's PDF is not on the case yet
    await licence_issued(deps)

    case = await case_of(deps)
    assert case.archive is not None
    data = objects(deps).objects[manifest_key("C1")]
    assert hashlib.sha256(data).hexdigest() == case.archive.sha256
    doc = json.loads(data)
    assert [(m["key"], m["sha256"]) for m in doc["materials"]] == [
        (material_key(UPLOAD_ID), UPLOAD.sha256)
    ]
    assert [d["name"] for d in doc["documents"]] == [
        "decision-approved",
        "licence-EL-500000-SCJ-001-C1",
    ]
    assert [d["detail"]["decision"] for d in doc["decisions"]] == ["approved"]
    assert len(doc["timeline"]) == doc["audit"]["count"] == case.archive.audit_count
    assert doc["retention_years"] == 10  # the submission named none: the default
    [archived] = store(deps).events("case.archived")
    assert archived.data["manifest"]["sha256"] == case.archive.sha256
    assert store(deps).entries["C1"][-1]["action"] == "case_archived"
    assert (await verify_archive(deps, "C1")).ok


async def test_a_denied_case_is_sealed_at_once_and_its_retention_is_the_items() -> None:
    deps = make_deps()
    await submit(deps, "C0")  # another case, unfinished: not sealed
    await run_to_decision(deps, Action.DENY)
    case = await case_of(deps)
    assert case.archive is not None and case.retention_years is None
    assert await seal_finished(deps) == 0  # nothing left to seal, C0 is still open
    assert case.archive.retain_until == case.archive.sealed_at.replace(year=2036)

    kept = make_deps()
    objects(kept).objects[material_key(UPLOAD_ID)] = SCAN
    data = submitted("C1", materials=[UPLOAD]).model_copy(update={"retention_years": 30})
    await on_case_submitted(kept, envelope_of(data), data)
    await signed(kept, "C1", "prereview", Action.FAIL, HANDLER, reasons=["材料不全"])
    case = await case_of(kept)
    assert case.archive is not None
    assert case.archive.retain_until == case.archive.sealed_at.replace(year=2056)


async def test_verify_reports_the_first_tampered_or_missing_object() -> None:
    deps = make_deps()
    await run_to_decision(deps, Action.DENY)
    check = await verify_archive(deps, "C1")
    assert check.ok and check.objects == 3 and check.entries > 5  # manifest, scan, notice

    objects(deps).objects[material_key(UPLOAD_ID)] = SCAN + b" altered"
    check = await verify_archive(deps, "C1")
    assert not check.ok and "material licence_form" in (check.problem or "")
    objects(deps).objects[material_key(UPLOAD_ID)] = SCAN
    del objects(deps).objects[document_key("C1", "decision-denied")]
    assert "missing" in ((await verify_archive(deps, "C1")).problem or "")
    objects(deps).objects[manifest_key("C1")] += b" "
    assert "manifest" in ((await verify_archive(deps, "C1")).problem or "")


async def test_the_sweep_deletes_an_expired_dossier_only_without_a_hold() -> None:
    deps = make_deps()
    await run_to_decision(deps, Action.DENY)
    assert await purge_expired(deps) == 0  # kept for 10 years
    case = await legal_hold(deps, "C1", reason="诉讼保全 court order 2035-17", actor="admin-1")
    assert case.archive is not None and case.archive.legal_hold
    clock(deps).advance(timedelta(days=366 * 11))
    assert await purge_expired(deps) == 0
    assert manifest_key("C1") in objects(deps).objects

    await legal_hold(deps, "C1", reason=None, actor="admin-1")
    assert await purge_expired(deps) == 1
    assert [k for k in objects(deps).objects if "C1" in k or UPLOAD_ID in k] == []
    case = await case_of(deps)
    assert case.archive is not None and case.archive.purged_at is not None
    actions = [(e["action"], e["actor"]) for e in store(deps).entries["C1"][-3:]]
    assert actions == [
        ("legal_hold_placed", "admin-1"),
        ("legal_hold_lifted", "admin-1"),
        ("archive_purged", "system"),
    ]
    assert await purge_expired(deps) == 0


async def test_legal_holds_over_http_are_for_administrators_and_name_their_reason() -> None:
    deps = make_deps()
    await submit(deps, materials=[UPLOAD])
    app = create_api(deps)
    admin, handler = officer(deps, "admin", sub="admin-1"), officer(deps, "handler")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://a") as c:
        url = "/v1/cases/C1/legal-hold"
        r = await c.put(url, json={"reason": "court order"}, headers=admin)
        assert r.status_code == 409, r.text  # not sealed yet
        await signed(deps, "C1", "prereview", Action.FAIL, HANDLER, reasons=["材料不全"])
        assert (await c.put(url, json={"reason": "x"}, headers=handler)).status_code == 403
        r = await c.put(url, json={"reason": ""}, headers=admin)
        assert r.status_code == 422 and "reason" in r.text
        assert (
            await c.put(url, json={"reason": "x", "until": 1}, headers=admin)
        ).status_code == 422
        r = await c.put(url, json={"reason": "court order"}, headers=admin)
        assert r.status_code == 200 and r.json()["archive"]["legal_hold"] == "court order"
        assert (await c.delete(url, headers=admin)).json()["archive"]["legal_hold"] is None
        assert (
            await c.put("/v1/cases/NOPE/legal-hold", json={"reason": "x"}, headers=admin)
        ).status_code == 404
