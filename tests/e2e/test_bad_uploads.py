"""Bad input on the upload endpoints of the running platform (issue 20, "Bad input"; the
storm's HTTP part beside tests/e2e/test_bad_input.py): bytes that are not what the declared type
says, an object over the limit or over what was declared, a hash that does not match, another
applicant's upload id, an expired slot. Each is a 422 naming the material (its code in the
detail, or its place in the submission), nothing is kept as verified, never a 5xx."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from demo.uploads import put_bytes, request_slot, sample_pdf, sample_png, upload
from shared.settings import ServiceSettings
from tests.support.processes import Platform
from tests.support.tokens import applicant_token

pytestmark = pytest.mark.e2e

ITEM = "500000-SCJ-001"  # application_form: PDF or OFD; articles: PDF, JPEG or PNG
ALICE, BOB = "110101199003074514", "11010119900307803X"
MAX_BYTES = 50 * 1024 * 1024  # EGOV_MAX_MATERIAL_BYTES, the platform's default


def person(id_number: str, name: str) -> dict[str, str]:
    return {"kind": "person", "id_number": id_number, "name": name}


def headers(id_number: str, name: str) -> dict[str, str]:
    token = applicant_token(
        ServiceSettings(service_name="e2e-bad-uploads"), id_number=id_number, name=name
    )
    return {"Authorization": f"Bearer {token}"}


def slot_body(material: str, file_type: str, size: int) -> dict[str, Any]:
    return {"item_code": ITEM, "material_code": material, "file_type": file_type, "size": size}


async def refused_verify(
    http: httpx.AsyncClient, intake: str, me: dict[str, str], slot: dict[str, Any]
) -> httpx.Response:
    resp = await http.post(f"{intake}{slot['verify_url']}", headers=me)
    state = (await http.get(f"{intake}/v1/uploads/{slot['upload_id']}", headers=me)).json()
    assert state["status"] != "verified", state  # nothing kept as verified
    return resp


def fields(resp: httpx.Response) -> dict[str, str]:
    assert resp.status_code == 422, (resp.status_code, resp.text)
    return {e["field"]: e["message"] for e in resp.json()["errors"]}


async def test_bad_uploads_are_422_naming_the_material_and_never_verified(
    platform: Platform,
) -> None:
    intake = platform.url("intake")
    me, bob = headers(ALICE, "张三"), headers(BOB, "李四")
    png, pdf = sample_png(7), sample_pdf("articles of association")
    async with httpx.AsyncClient(timeout=30) as http:
        # bytes that are not what the content type claims: a PNG sent as a PDF
        slot = await request_slot(http, intake, me, slot_body("articles", "pdf", len(png)))
        await put_bytes(http, slot, png)
        resp = await refused_verify(http, intake, me, slot)
        assert "PNG" in fields(resp)["file_type"] and "articles" in resp.json()["detail"]

        # over the limit: no slot; more bytes than the slot declared: refused at verification
        resp = await http.post(
            f"{intake}/v1/uploads", json=slot_body("articles", "pdf", MAX_BYTES + 1), headers=me
        )
        assert "size" in fields(resp) and "articles" in resp.json()["detail"]
        slot = await request_slot(http, intake, me, slot_body("application_form", "pdf", 100))
        await put_bytes(http, slot, pdf)
        resp = await refused_verify(http, intake, me, slot)
        assert "larger than" in fields(resp)["size"] and "application_form" in resp.text

        # an expired slot (900 simulated seconds: well under a second of the platform's clock)
        slot = await request_slot(http, intake, me, slot_body("articles", "png", len(png)))
        await asyncio.sleep(1.0)
        resp = await refused_verify(http, intake, me, slot)
        assert "expired" in fields(resp)["upload_id"] and "articles" in resp.json()["detail"]

        # a hash that does not match the verified upload; another applicant's upload
        good = await upload(
            http, intake, me, item_code=ITEM, material_code="articles", file_type="pdf", data=pdf
        )
        materials = [  # the others declared (allowed outside production)
            {"code": "application_form", "form": "upload", "sha256": "a" * 64, "size": 10},
            {"code": "articles", "form": "upload", "upload_id": good["upload_id"]},
            {"code": "premises", "form": "upload", "sha256": "b" * 64, "size": 10},
            {"code": "id_card", "form": "upload", "sha256": "c" * 64, "size": 10},
        ]
        case = {"item_code": ITEM, "materials": materials, "receiving_region": "500000"}
        wrong_hash = {**materials[1], "sha256": "0" * 64}
        resp = await http.post(
            f"{intake}/v1/cases",
            json={
                **case,
                "applicant": person(ALICE, "张三"),
                "materials": [materials[0], wrong_hash, *materials[2:]],
            },
            headers=me,
        )
        assert fields(resp)["materials.1.sha256"] == "does not match the verified upload"
        resp = await http.post(
            f"{intake}/v1/cases", json={**case, "applicant": person(BOB, "李四")}, headers=bob
        )
        assert "no such upload" in fields(resp)["materials.1.upload_id"]
        resp = await http.post(f"{intake}/v1/uploads/{good['upload_id']}/verify", headers=bob)
        assert resp.status_code == 404, resp.text  # nor may Bob verify or read it
        resp = await http.get(f"{intake}/v1/uploads/{good['upload_id']}", headers=bob)
        assert resp.status_code == 404, resp.text
