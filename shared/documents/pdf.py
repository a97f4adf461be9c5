"""A one-page document the platform issues: a title, labelled lines, the issuing time.

The same inputs give the same bytes (the PDF's creation date is the issuing time, not the
clock), so a handler that renders again after a conflict stores the same object under the same
key and hash. Chinese needs a CJK font (shared/documents/fonts.py, parsed once per process);
without one the document keeps the English half of every label and the values as far as a
Latin font draws them, rather than printing empty boxes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from shared.documents.fonts import add_body_font, find_font


@dataclass(frozen=True)
class Issued:
    """A rendered document: its bytes and what the events say of it."""

    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def size(self) -> int:
        return len(self.data)


class DocumentRenderer(Protocol):
    """What a handler that issues a document needs (the services' port): ``render_document``
    in production, a fake in unit tests that do not look inside the PDF."""

    def __call__(
        self,
        title: str,
        rows: Sequence[tuple[str, str]],
        *,
        issued_at: datetime,
        footer: str = "",
    ) -> Issued: ...


class _Page(FPDF):
    def __init__(self, font: Path | None, cjk: bool) -> None:
        super().__init__(orientation="P", format="A4")
        self.cjk, self.unicode = cjk, font is not None
        self.family_name = "helvetica"
        if font is not None:
            self.family_name = add_body_font(self, font)
        self.set_margins(20, 20, 20)
        self.set_auto_page_break(auto=True, margin=20)

    def t(self, text: str) -> str:
        if self.cjk:
            return text
        kept = " ".join("".join(ch for ch in text if ord(ch) < 0x2E80).split())
        if not self.unicode:
            kept = kept.encode("latin-1", "replace").decode()
        return kept.replace("()", "").strip() or "-"

    def text_line(self, text: str, size: float, height: float) -> None:
        self.set_font(self.family_name, size=size)
        self.multi_cell(0, height, self.t(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def render_document(
    title: str,
    rows: Sequence[tuple[str, str]],
    *,
    issued_at: datetime,
    footer: str = "",
    font: str | Path | None = None,
) -> Issued:
    """A4 portrait: ``title``, then one ``label: value`` line per row, then ``footer``."""
    page = _Page(*find_font(font))
    page.set_creation_date(issued_at)
    page.set_title(page.t(title))
    page.add_page()
    page.text_line(title, 18, 12)
    page.ln(4)
    for label, value in rows:
        page.text_line(f"{label}: {value}", 11, 7)
    if footer:
        page.ln(6)
        page.text_line(footer, 9, 5)
    return Issued(bytes(page.output()))
