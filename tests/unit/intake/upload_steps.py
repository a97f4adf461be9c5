"""Steps shared by the upload tests: files of each kind, tokens, a slot, the PUT (into the fake
object store), the verification, and a business-licence submission naming uploads."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from typing import Any

import httpx

from shared.identifiers import make_resident_id
from shared.objectstore import material_key
from tests.support.tokens import applicant_token, officer_headers
from tests.unit.intake.intake_fakes import Wiring

PERSON = make_resident_id("500103", date(1990, 5, 17), 12)
OTHER = make_resident_id("500103", date(1985, 1, 9), 33)
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n" + b"0" * 2000
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 500
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 500


def zip_of(*names: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name in names:
            z.writestr(name, "<ofd:OFD xmlns:ofd='http://www.ofdspec.org/2016'/>")
    return out.getvalue()


OFD = zip_of("OFD.xml", "Doc_0/Document.xml")
DOCX = zip_of("[Content_Types].xml", "word/document.xml")


def as_applicant(w: Wiring, id_number: str = PERSON, name: str = "张三") -> dict[str, str]:
    return {
        "Authorization": "Bearer " + applicant_token(w.settings, id_number=id_number, name=name)
    }


def as_window_officer(w: Wiring, region: str = "500000") -> dict[str, str]:
    return officer_headers(
        w.settings, subject="window-7", roles=["handler"], department="500000-SCJ", region=region
    )


def slot_body(material: str = "application_form", data: bytes = PDF, **changes: Any) -> dict:
    body = {"item_code": "500000-SCJ-001", "material_code": material, "file_type": "pdf"}
    return body | {"size": len(data)} | changes


async def slot(c: httpx.AsyncClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    r = await c.post("/v1/uploads", json=slot_body(**body), headers=headers)
    assert r.status_code == 201, r.text
    return dict(r.json())


async def upload(
    w: Wiring,
    c: httpx.AsyncClient,
    headers: dict[str, str],
    material: str = "application_form",
    data: bytes = PDF,
    **body: Any,
) -> str:
    """A verified upload of ``data``; its id."""
    opened = await slot(c, headers, material=material, data=data, **body)
    w.objects.objects[material_key(opened["upload_id"])] = data  # the browser's PUT
    r = await c.post(opened["verify_url"], headers=headers)
    assert r.status_code == 200, r.text
    return str(opened["upload_id"])


def submission(uploads: dict[str, str], **changes: Any) -> dict[str, Any]:
    """Named uploads first (materials.1, …); the articles (a key material), when not among
    them, last in the old declared form (development allows it)."""
    body: dict[str, Any] = {
        "item_code": "500000-SCJ-001",
        "applicant": {"kind": "person", "id_number": PERSON, "name": "张三"},
        "contact": {"phone": "13800138000"},
        "form": {"company_name": "山城小面有限公司"},
        "materials": [
            {"code": "id_card", "form": "elicense", "licence_ref": f"EL-ID-{PERSON}"},
            *({"code": code, "form": "upload", "upload_id": u} for code, u in uploads.items()),
        ],
        "receiving_region": "500000",
        "accept_with_gaps": "premises" not in uploads,
    }
    if "articles" not in uploads:
        body["materials"].append(DECLARED_ARTICLES)
    return body | changes


DECLARED_ARTICLES = {"code": "articles", "form": "upload", "sha256": "a" * 64, "size": 9}


def fields(r: httpx.Response) -> dict[str, str]:
    assert r.status_code == 422, r.text
    return {e["field"]: e["message"] for e in r.json()["errors"]}
