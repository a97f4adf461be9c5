"""A material's kind is told from its bytes, never from its name or declared type."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from services.intake.domain.catalog import FileType
from services.intake.sniff import file_type, measure, zip_names
from tests.unit.intake.upload_steps import DOCX, EXE, OFD, PDF, PNG

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01" + b"\x00" * 300


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (PDF, FileType.PDF),
        (JPEG, FileType.JPEG),
        (PNG, FileType.PNG),
        (OFD, FileType.OFD),
        (DOCX, None),  # a ZIP without OFD.xml
        (EXE, None),
        (b"", None),
        (b"PK\x05\x06" + b"\xff" * 18, None),  # an end-of-directory that points nowhere
        ("申请书".encode(), None),
    ],
)
def test_the_kind_of_file_comes_from_its_bytes(data: bytes, kind: FileType | None) -> None:
    assert file_type(data[:8192], data[-262_144:]) == kind


def test_the_names_of_an_ofd_package_are_read_from_its_zip_directory() -> None:
    assert zip_names(OFD) == ["OFD.xml", "Doc_0/Document.xml"]
    assert zip_names(OFD[-40:]) == [], "a directory outside the tail is not guessed at"


async def test_measuring_stops_reading_past_the_limit() -> None:
    read: list[int] = []

    async def chunks() -> AsyncIterator[bytes]:
        for n in range(100):
            read.append(n)
            yield PDF

    seen = await measure(chunks(), limit=len(PDF) * 3)
    assert seen.size == len(PDF) * 4 and len(read) == 4 and seen.file_type is FileType.PDF
