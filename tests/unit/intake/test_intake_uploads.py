"""Uploads: a slot with a pre-signed PUT, intake's own verification of the object (hash, size,
kind from the bytes), submissions naming verified uploads of the same applicant, and the bad
input around them (422 naming the field, never a 500); the object store down is a 503 for the
upload endpoints only."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from prometheus_client import REGISTRY

from services.intake.handlers.uploads import expire_uploads
from shared.contracts import CaseSubmitted
from shared.objectstore import material_key
from tests.unit.intake.intake_fakes import Wiring
from tests.unit.intake.upload_steps import (
    DECLARED_ARTICLES,
    DOCX,
    EXE,
    OFD,
    OTHER,
    PDF,
    PERSON,
    PNG,
    as_applicant,
    as_window_officer,
    fields,
    slot,
    slot_body,
    submission,
    upload,
)


async def test_an_uploaded_pdf_is_verified_and_a_case_refers_to_what_intake_measured() -> None:
    w = Wiring()
    me = as_applicant(w)
    async with w.client() as c:
        opened = await slot(c, me)
        assert opened["status"] == "pending" and opened["upload"]["method"] == "PUT"
        assert opened["upload"]["headers"] == {
            "Content-Type": "application/pdf",
            "Content-Length": str(len(PDF)),
        }
        assert w.objects.signed == [("PUT", material_key(opened["upload_id"]), 900)]
        application = await upload(w, c, me)
        articles = await upload(w, c, me, material="articles", data=PNG, file_type="png")
        r = await c.post(
            "/v1/cases", json=submission({"application_form": application, "articles": articles})
        )
        assert r.status_code == 201, r.text
    case = w.store.cases[r.json()["case_id"]]
    measured = {m.code: (m.sha256, m.size, m.media_type) for m in case.materials}
    assert measured["application_form"] == (
        hashlib.sha256(PDF).hexdigest(),
        len(PDF),
        "application/pdf",
    )
    assert measured["articles"] == (hashlib.sha256(PNG).hexdigest(), len(PNG), "image/png")
    event = CaseSubmitted.model_validate(w.store.events_of(CaseSubmitted.event_type)[0].data)
    assert {m.upload_id for m in event.materials} >= {application, articles}
    assert w.uploads.uploads[application].case_id == case.case_id
    assert w.uploads.uploads[application].expires_at is None  # kept with its case


async def test_ofd_only_where_the_catalog_allows_it_and_only_a_real_ofd_package() -> None:
    w = Wiring()
    me = as_applicant(w)
    async with w.client() as c:
        assert await upload(w, c, me, data=OFD, file_type="ofd")
        r = await c.post(
            "/v1/uploads", json=slot_body("articles", OFD, file_type="ofd"), headers=me
        )
        assert "OFD" not in fields(r)["file_type"] and "PDF" in fields(r)["file_type"]
        r = await c.post("/v1/uploads", json=slot_body(data=PNG, file_type="png"), headers=me)
        assert fields(r)["file_type"] == "企业设立登记申请书 is accepted as PDF, OFD only"
        fake = await slot(c, me, data=DOCX, file_type="ofd")  # a ZIP, but no OFD.xml in it
        w.objects.objects[material_key(fake["upload_id"])] = DOCX
        assert "file_type" in fields(await c.post(fake["verify_url"], headers=me))


@pytest.mark.parametrize(
    ("data", "declared", "field", "words"),
    [
        (PNG, {"file_type": "pdf"}, "file_type", "the bytes are PNG, not the declared PDF"),
        (EXE, {"file_type": "pdf"}, "file_type", "not a PDF, OFD file"),
        (PDF + b"more", {"size": len(PDF)}, "size", f"larger than the {len(PDF)} declared"),
        (PDF[:-1], {"size": len(PDF)}, "size", f"has {len(PDF) - 1} bytes, not the {len(PDF)}"),
    ],
)
async def test_an_object_that_is_not_what_it_was_to_be_is_rejected_and_deleted(
    data: bytes, declared: dict[str, object], field: str, words: str
) -> None:
    w = Wiring()
    me = as_applicant(w)
    async with w.client() as c:
        opened = await slot(c, me, data=PDF, **declared)
        key = material_key(opened["upload_id"])
        w.objects.objects[key] = data
        r = await c.post(opened["verify_url"], headers=me)
        assert words in fields(r)[field]
        assert key not in w.objects.objects, "nothing stored as verified"
        r = await c.post("/v1/cases", json=submission({"application_form": opened["upload_id"]}))
        assert "rejected" in fields(r)["materials.1.upload_id"]


async def test_a_slot_is_given_only_for_an_upload_the_material_accepts() -> None:
    w = Wiring(max_material_bytes=10_000)
    me = as_applicant(w)
    async with w.client() as c:
        r = await c.post("/v1/uploads", json=slot_body(size=10_001), headers=me)
        assert "10000 bytes allowed" in fields(r)["size"]
        r = await c.post("/v1/uploads", json=slot_body("shareholders"), headers=me)
        assert "not a material of item" in fields(r)["material_code"]
        r = await c.post("/v1/uploads", json=slot_body(item_code="500000-XXX-999"))
        assert r.status_code == 404
        assert (await c.post("/v1/uploads", json=slot_body())).status_code == 401
        someone_else = slot_body(applicant={"kind": "person", "id_number": OTHER, "name": "李四"})
        assert (await c.post("/v1/uploads", json=someone_else, headers=me)).status_code == 403
    assert w.uploads.uploads == {}


async def test_verifying_before_the_put_or_after_the_slot_expired_names_the_upload() -> None:
    w = Wiring()
    me = as_applicant(w)
    async with w.client() as c:
        opened = await slot(c, me)
        r = await c.post(opened["verify_url"], headers=me)
        assert "nothing was uploaded yet" in fields(r)["upload_id"]
        w.clock.advance(timedelta(seconds=w.settings.upload_slot_ttl_s))
        r = await c.post(opened["verify_url"], headers=me)
        assert "slot expired" in fields(r)["upload_id"]
        r = await c.post(opened["verify_url"], headers=as_applicant(w, OTHER, "李四"))
        assert r.status_code == 404, "another applicant does not learn the upload exists"


async def test_a_submission_names_only_verified_unexpired_unused_uploads_of_its_applicant() -> None:
    w = Wiring()
    me, other = as_applicant(w), as_applicant(w, OTHER, "李四")
    async with w.client() as c:
        theirs = await upload(w, c, other)
        r = await c.post("/v1/cases", json=submission({"application_form": theirs}))
        assert fields(r)["materials.1.upload_id"] == "no such upload of this applicant"
        mine = await upload(w, c, me)
        r = await c.post("/v1/cases", json=submission({"articles": mine}))
        assert "made for 500000-SCJ-001 / application_form" in fields(r)["materials.1.upload_id"]
        wrong_hash = submission({"application_form": mine})
        wrong_hash["materials"][1]["sha256"] = "b" * 64
        assert (
            "does not match"
            in fields(await c.post("/v1/cases", json=wrong_hash))["materials.1.sha256"]
        )
        pending = (await slot(c, me))["upload_id"]
        r = await c.post("/v1/cases", json=submission({"application_form": pending}))
        assert "not verified yet" in fields(r)["materials.1.upload_id"]
        assert (
            await c.post("/v1/cases", json=submission({"application_form": mine}))
        ).status_code == 201
        r = await c.post("/v1/cases", json=submission({"application_form": mine}))
        assert "already part of another case" in fields(r)["materials.1.upload_id"]
        late = await upload(w, c, me)
        w.clock.advance(timedelta(hours=w.settings.upload_unreferenced_ttl_hours))
        r = await c.post("/v1/cases", json=submission({"application_form": late}))
        assert "expired" in fields(r)["materials.1.upload_id"]
    assert len(w.store.cases) == 1


async def test_declared_hashes_only_where_the_setting_allows_them() -> None:
    declared = submission({})  # the articles declared, then the application form declared:
    declared["materials"].append({**DECLARED_ARTICLES, "code": "application_form"})
    w = Wiring(declared_upload_hashes=False)
    async with w.client() as c:
        r = await c.post("/v1/cases", json=declared)
        assert set(fields(r)) == {"materials.1.upload_id", "materials.2.upload_id"}
        assert "verified upload id" in fields(r)["materials.2.upload_id"]
    w = Wiring()  # development default: the old form still works, vouching for no type
    declared["materials"][2]["media_type"] = "application/pdf"
    async with w.client() as c:
        r = await c.post("/v1/cases", json=declared)
        assert r.status_code == 201, r.text
    assert all(m.media_type is None for m in w.store.cases[r.json()["case_id"]].materials)


async def test_a_window_officer_uploads_and_submits_for_the_applicant() -> None:
    w = Wiring()
    officer = as_window_officer(w)
    on_behalf = {
        "applicant": {"kind": "person", "id_number": PERSON, "name": "张三"},
        "channel": "window",
    }
    async with w.client() as c:
        done = await upload(w, c, officer, **on_behalf)
        assert w.uploads.uploads[done].created_by.subject == "window-7"
        assert (await c.get(f"/v1/uploads/{done}", headers=as_applicant(w))).json()[
            "status"
        ] == "verified"
        body = submission({"application_form": done}, channel="window")
        r = await c.post("/v1/cases", json=body, headers=officer)
        assert r.status_code == 201, r.text


def uploads_counted(outcome: str, file_type: str = "") -> float:
    labels = {"outcome": outcome, "file_type": file_type}
    return REGISTRY.get_sample_value("egov_intake_uploads_total", labels) or 0.0


async def test_the_object_store_down_is_a_503_for_uploads_only() -> None:
    w = Wiring()
    me = as_applicant(w)
    verified, unavailable = uploads_counted("verified", "pdf"), uploads_counted("unavailable")
    async with w.client() as c:
        done = await upload(w, c, me)
        assert uploads_counted("verified", "pdf") == verified + 1
        w.objects.down = True
        r = await c.post("/v1/uploads", json=slot_body(), headers=me)
        assert r.status_code == 503 and r.headers["Retry-After"] == "30"
        assert r.json()["detail"] == "the object store does not answer; try again shortly"
        assert w.uploads.uploads.keys() == {done}, "no slot without its URL"
        w.objects.down = False
        pending = await slot(c, me)
        w.objects.down = True
        r = await c.post(pending["verify_url"], headers=me)
        assert r.status_code == 503 and r.headers["Retry-After"] == "30"
        assert uploads_counted("unavailable") == unavailable + 2
        assert w.uploads.uploads[pending["upload_id"]].status == "pending", "try again later"
        r = await c.post("/v1/cases", json=submission({"application_form": done}))
        assert r.status_code == 201, "a submission needs no object-store call"


async def test_unreferenced_uploads_expire_with_their_objects_and_referenced_ones_stay() -> None:
    w = Wiring()
    me = as_applicant(w)
    async with w.client() as c:
        used = await upload(w, c, me)
        await upload(w, c, me)  # never named by a case
        assert (
            await c.post("/v1/cases", json=submission({"application_form": used}))
        ).status_code == 201
    w.clock.advance(timedelta(hours=w.settings.upload_unreferenced_ttl_hours))
    assert await expire_uploads(w.deps) == 1
    assert set(w.uploads.uploads) == {used}
    assert set(w.objects.objects) == {material_key(used)}
