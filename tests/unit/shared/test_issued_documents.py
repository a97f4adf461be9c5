"""Issued documents (shared/documents) and where they live (shared/objectstore/layout.py)."""

from __future__ import annotations

from datetime import datetime

import pypdfium2 as pdfium
import pytest

from shared.clock import SHANGHAI
from shared.contracts import DocumentRef
from shared.documents import find_font, fonts, render_document
from shared.objectstore import document_key, manifest_key

AT = datetime(2026, 3, 2, 10, tzinfo=SHANGHAI)
ROWS = [("案件编号 Case", "500000-20260302-000042"), ("决定 Decision", "准予 approved")]


def text_of(data: bytes) -> str:
    return "".join(page.get_textpage().get_text_range() for page in pdfium.PdfDocument(data))


def test_a_document_reads_back_and_the_same_inputs_give_the_same_bytes() -> None:
    first = render_document("准予行政许可决定书 Notice of approval", ROWS, issued_at=AT)
    again = render_document("准予行政许可决定书 Notice of approval", ROWS, issued_at=AT)
    assert first.data.startswith(b"%PDF")
    assert "500000-20260302-000042" in text_of(first.data)
    assert (first.sha256, first.size) == (again.sha256, again.size)
    other = render_document("准予行政许可决定书 Notice of approval", ROWS[:1], issued_at=AT)
    assert other.sha256 != first.sha256


def test_keys_of_the_layout_refuse_what_could_leave_their_folder() -> None:
    assert (
        document_key("500000-1", "decision-approved") == "documents/500000-1/decision-approved.pdf"
    )
    assert manifest_key("500000-1") == "archive/500000-1/manifest.json"
    for bad in ("../x", "a/b", "", "a b"):
        with pytest.raises(ValueError):
            document_key(bad, "decision")
        with pytest.raises(ValueError):
            manifest_key(bad)
    DocumentRef(key=document_key("500000-1", "decision-denied"), sha256="0" * 64, size=1)


@pytest.mark.skipif(find_font()[0] is None or not find_font()[1], reason="no Chinese font")
def test_a_document_drawn_with_the_parsed_font_is_the_one_a_fresh_parse_draws() -> None:
    """The font is parsed once per process; fontTools subsets a document's copy in place when it
    is written, so a copy shared with the next document would lose that one's glyphs."""
    title, other = "准予行政许可决定书 Notice of approval", [("申请人 Applicant", "重庆某某餐饮")]
    fonts.forget_parsed_fonts()
    alone = render_document(title, ROWS, issued_at=AT)
    render_document("不予行政许可决定书 Notice of denial", other, issued_at=AT)
    after_others = render_document(title, ROWS, issued_at=AT)
    assert after_others.data == alone.data
    assert "准予行政许可决定书" in text_of(after_others.data) and "准予" in text_of(alone.data)
