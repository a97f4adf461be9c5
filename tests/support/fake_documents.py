"""A document renderer for unit tests that do not look inside the PDF: rendering a real one
costs about 0.7 s of CPU (the CJK font), the handlers only store the bytes and their hash. The
same inputs give the same bytes, as with the real renderer, so a redelivery or a retry after a
conflict stores the same object; the bytes name the title, every row and the issuing time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from shared.documents import Issued


class FakeRenderer:
    def __init__(self) -> None:
        self.rendered: list[str] = []  # titles, in order

    def __call__(
        self,
        title: str,
        rows: Sequence[tuple[str, str]],
        *,
        issued_at: datetime,
        footer: str = "",
    ) -> Issued:
        self.rendered.append(title)
        lines = [title, *(f"{label}: {value}" for label, value in rows), footer]
        text = "\n".join([*lines, issued_at.isoformat()])
        return Issued(b"%FAKE-PDF\n" + text.encode())
