"""Time per issued PDF (a decision notice as approval renders it): the font parsed once per
process (shared/documents/fonts.py) against parsed again for every document, as before.

    .venv/bin/python -m bench.documents [--documents 20]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from datetime import UTC, datetime

from bench.stats import percentile
from shared.documents import find_font, fonts, render_document

ISSUED_AT = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
TITLE = "准予行政许可决定书 Notice of approval"
ROWS = [
    ("案件编号 Case", "500000-20260302-000042"),
    ("申请人 Applicant", "重庆某某餐饮有限公司"),
    ("事项 Item", "食品经营许可 500000-SCJ-002"),
    ("决定 Decision", "准予 approved"),
    ("依据 Legal basis", "《中华人民共和国行政许可法》第三十八条"),
]


def timed(documents: int, before_each: Callable[[], None]) -> list[float]:
    seconds = []
    for n in range(documents):
        before_each()
        start = time.perf_counter()
        render_document(TITLE, [*ROWS, ("序号 No.", str(n))], issued_at=ISSUED_AT)
        seconds.append(time.perf_counter() - start)
    return seconds


def report(name: str, seconds: list[float]) -> None:
    p50, p95 = percentile(seconds, 50), percentile(seconds, 95)
    print(
        f"{name:<28} n={len(seconds):<4} p50 {p50:.3f} s  p95 {p95:.3f} s  max {max(seconds):.3f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--documents", type=int, default=20)
    args = parser.parse_args()
    print(f"font: {find_font()[0]}")
    report("parsed for every document", timed(args.documents, fonts.forget_parsed_fonts))
    fonts.forget_parsed_fonts()
    first = timed(1, lambda: None)
    report("parsed once (first)", first)
    report("parsed once (the others)", timed(args.documents, lambda: None))


if __name__ == "__main__":
    main()
