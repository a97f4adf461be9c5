"""Real small files uploaded as a browser does it (docs/intake.md, "Uploads"): a slot from
intake, the PUT of the bytes to the pre-signed URL, the verification; a submission then names
the verified upload id. Used by the simulated day and the end-to-end tests."""

from __future__ import annotations

import struct
import zlib
from datetime import UTC, datetime
from typing import Any

import httpx
from fpdf import FPDF

FIXED = datetime(2026, 1, 1, tzinfo=UTC)


class UploadRefused(Exception):
    def __init__(self, step: str, resp: httpx.Response) -> None:
        super().__init__(f"{step}: {resp.status_code} {resp.text[:300]}")
        self.step, self.status, self.body = step, resp.status_code, resp.text


def sample_pdf(text: str) -> bytes:
    """A one-page PDF saying ``text`` (ASCII; core font: no font file to parse)."""
    pdf = FPDF()
    pdf.set_creation_date(FIXED)  # the same text gives the same bytes
    pdf.add_page()
    pdf.set_font("helvetica", size=14)
    pdf.cell(text=text)
    return bytes(pdf.output())


def sample_png(seed: int, side: int = 16) -> bytes:
    """A small RGB PNG whose colours depend on ``seed``."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    pixel = bytes(((seed * 53) % 256, (seed * 97) % 256, (seed * 193) % 256))
    rows = b"".join(b"\x00" + pixel * side for _ in range(side))
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def sample_file(file_types: list[str], n: int) -> tuple[str, bytes] | None:
    """A file of a kind the material accepts (PNG for every other case where both are)."""
    if "png" in file_types and ("pdf" not in file_types or n % 2):
        return "png", sample_png(n)
    if "pdf" in file_types:
        return "pdf", sample_pdf(f"material of scenario case {n}")
    return None


async def request_slot(
    http: httpx.AsyncClient, intake: str, headers: dict[str, str], body: dict[str, Any]
) -> dict[str, Any]:
    resp = await http.post(f"{intake}/v1/uploads", json=body, headers=headers)
    if resp.status_code != 201:
        raise UploadRefused("slot", resp)
    return dict(resp.json())


async def put_bytes(http: httpx.AsyncClient, slot: dict[str, Any], data: bytes) -> None:
    """The browser's PUT (the headers the slot names, the Content-Length of the bytes sent)."""
    headers = {k: v for k, v in slot["upload"]["headers"].items() if k != "Content-Length"}
    resp = await http.put(slot["upload"]["url"], content=data, headers=headers)
    if resp.status_code not in (200, 204):
        raise UploadRefused("put", resp)


async def verify(
    http: httpx.AsyncClient, intake: str, headers: dict[str, str], slot: dict[str, Any]
) -> dict[str, Any]:
    resp = await http.post(f"{intake}{slot['verify_url']}", headers=headers)
    if resp.status_code != 200:
        raise UploadRefused("verify", resp)
    return dict(resp.json())


async def upload(
    http: httpx.AsyncClient,
    intake: str,
    headers: dict[str, str],
    *,
    item_code: str,
    material_code: str,
    file_type: str,
    data: bytes,
) -> dict[str, Any]:
    """Slot, PUT, verify: the verified upload (``upload_id``, ``sha256``, ``size``)."""
    body = {
        "item_code": item_code,
        "material_code": material_code,
        "file_type": file_type,
        "size": len(data),
    }
    slot = await request_slot(http, intake, headers, body)
    await put_bytes(http, slot, data)
    return await verify(http, intake, headers, slot)
