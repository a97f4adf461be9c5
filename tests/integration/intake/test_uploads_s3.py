"""Materials through the real S3 API: an s3rver started as the local stack starts it, intake and
approval on the real broker and database. Upload with the pre-signed PUT, verification,
rejection of a file that is not what it claims (object deleted), submission naming the upload,
approval's case view, and an officer's download: the same bytes, the fetch on the timeline."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.approval.bootstrap import build as build_approval
from services.approval.settings import ApprovalSettings
from services.intake.bootstrap import build as build_intake
from services.intake.settings import IntakeSettings
from shared.clock import SHANGHAI
from shared.identifiers import make_resident_id
from shared.objectstore import ObjectMissing, ObjectStoreUnavailable, material_key
from shared.objectstore.s3 import S3ObjectStore
from tests.support.objects import running_s3rver
from tests.support.tokens import applicant_token, lasting_token

pytestmark = pytest.mark.integration

RUN = uuid.uuid4().hex[:8]
PERSON = make_resident_id("500103", date(1990, 5, 17), 12)  # holds EL-ID-… (catalog/elicences)
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n" + uuid.uuid4().bytes * 4000


@dataclass
class World:
    intake: httpx.AsyncClient
    approval: httpx.AsyncClient
    objects: S3ObjectStore
    me: dict[str, str]
    officer: dict[str, str]


@pytest.fixture(scope="module")
async def world(
    kafka_bootstrap: str, mongo_uri: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[World]:
    common: dict[str, Any] = {
        "kafka_bootstrap": kafka_bootstrap,
        "mongo_uri": mongo_uri,
        "outbox_poll_s": 0.1,
        "log_json": False,
    }
    with running_s3rver(Path(tmp_path_factory.mktemp("objects"))) as endpoint:
        store = {"object_store_url": endpoint, "object_store_timeout_s": 5.0}
        intake_settings = IntakeSettings(
            **common,
            **store,
            mongo_db=f"intake_uploads_{RUN}",
            consumer_group=f"intake-uploads-{RUN}",
            credit_url="http://127.0.0.1:9",
            credit_timeout_s=0.3,
            declared_upload_hashes=False,  # as in production
        )
        approval_settings = ApprovalSettings(
            **common,
            **store,
            mongo_db=f"approval_uploads_{RUN}",
            consumer_group=f"approval-uploads-{RUN}",
        )
        intake, approval = build_intake(intake_settings), build_approval(approval_settings)
        objects = S3ObjectStore(intake_settings)
        me = applicant_token(intake_settings, id_number=PERSON, name="张三")
        officer = lasting_token(
            approval_settings,
            subject=f"h-{RUN}",
            roles=["handler"],
            department="500000-SCJ",
            region="500000",
        )
        async with (
            intake.infra.lifespan(intake.app),
            approval.infra.lifespan(approval.app),
        ):
            await approval.consumer.wait_assigned(60)
            # Case numbers restart with each database, and the other modules on this broker
            # publish theirs on egov.cases, which this module's approval reads too: this
            # module numbers its cases from elsewhere so that the ones it looks at are its own.
            day = intake.infra.clock.now().astimezone(SHANGHAI).date()
            await intake.infra.db["case_counters"].update_one(
                {"_id": f"500000-{day:%Y%m%d}"},
                {"$set": {"seq": 500_000 + uuid.uuid4().int % 400_000}},
                upsert=True,
            )
            async with (
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(intake.app), base_url="http://i"
                ) as i,
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(approval.app), base_url="http://a"
                ) as a,
            ):
                yield World(
                    i,
                    a,
                    objects,
                    {"Authorization": f"Bearer {me}"},
                    {"Authorization": f"Bearer {officer}"},
                )
        await objects.aclose()


async def put_upload(w: World, material: str, data: bytes, file_type: str) -> dict[str, Any]:
    """A slot from intake, then the browser's PUT to the store itself."""
    body = {
        "item_code": "500000-SCJ-001",
        "material_code": material,
        "file_type": file_type,
        "size": len(data),
    }
    r = await w.intake.post("/v1/uploads", json=body, headers=w.me)
    assert r.status_code == 201, r.text
    slot = r.json()
    async with httpx.AsyncClient() as browser:
        put = await browser.put(
            slot["upload"]["url"], content=data, headers=slot["upload"]["headers"]
        )
    assert put.status_code == 200, put.text
    return dict(slot)


async def test_upload_verify_submit_and_an_officer_reads_the_same_bytes(world: World) -> None:
    w = world
    application = await put_upload(w, "application_form", PDF, "pdf")
    r = await w.intake.post(application["verify_url"], headers=w.me)
    assert r.status_code == 200, r.text
    assert r.json()["sha256"] == hashlib.sha256(PDF).hexdigest() and r.json()["size"] == len(PDF)

    png_as_pdf = await put_upload(w, "articles", b"\x89PNG\r\n\x1a\n" + b"\x00" * 900, "pdf")
    r = await w.intake.post(png_as_pdf["verify_url"], headers=w.me)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "file_type", r.text
    with pytest.raises(ObjectMissing):  # nothing kept of a rejected upload
        [c async for c in w.objects.read(material_key(png_as_pdf["upload_id"]))]

    articles = await put_upload(w, "articles", PDF[:5000], "pdf")
    assert (await w.intake.post(articles["verify_url"], headers=w.me)).status_code == 200
    case = {
        "item_code": "500000-SCJ-001",
        "applicant": {"kind": "person", "id_number": PERSON, "name": "张三"},
        "materials": [
            {"code": "application_form", "form": "upload", "upload_id": application["upload_id"]},
            {"code": "articles", "form": "upload", "upload_id": articles["upload_id"]},
            {"code": "premises", "form": "upload", "sha256": "a" * 64, "size": 10},
            {"code": "id_card", "form": "elicense", "licence_ref": f"EL-ID-{PERSON}"},
        ],
        "receiving_region": "500000",
        "accept_with_gaps": True,
    }
    r = await w.intake.post("/v1/cases", json=case, headers=w.me)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "materials.2.upload_id"
    del case["materials"][2]  # the declared hash, refused as in production
    r = await w.intake.post("/v1/cases", json=case, headers=w.me)
    assert r.status_code == 201, r.text
    case_id = r.json()["case_id"]

    view = await until_registered(w, case_id)
    listed = {m["code"]: m for m in view["materials"]}
    assert listed["application_form"]["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert listed["application_form"]["media_type"] == "application/pdf"
    r = await w.approval.post(
        f"/v1/cases/{case_id}/materials/application_form/download", headers=w.officer
    )
    assert r.status_code == 200, r.text
    async with httpx.AsyncClient() as browser:
        got = await browser.get(r.json()["url"])
    assert (
        got.status_code == 200
        and hashlib.sha256(got.content).digest() == hashlib.sha256(PDF).digest()
    )
    timeline = (await w.approval.get(f"/v1/cases/{case_id}/timeline", headers=w.officer)).json()
    fetched = [e for e in timeline["entries"] if e["action"] == "material_downloaded"]
    assert [(e["actor"], e["detail"]["material"]) for e in fetched] == [
        (f"h-{RUN}", "application_form")
    ]


async def until_registered(w: World, case_id: str, timeout: float = 60) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        r = await w.approval.get(f"/v1/cases/{case_id}", headers=w.officer)
        if r.status_code == 200:
            return dict(r.json())
        assert asyncio.get_running_loop().time() < deadline, f"{case_id} never reached approval"
        await asyncio.sleep(0.3)


async def test_an_unreachable_store_is_a_503_with_a_retry_hint(world: World) -> None:
    dead = S3ObjectStore(
        IntakeSettings(object_store_url="http://127.0.0.1:9", object_store_timeout_s=1.0)
    )
    with pytest.raises(ObjectStoreUnavailable):
        [c async for c in dead.read(material_key("up-" + "x" * 32))]
    await dead.aclose()
