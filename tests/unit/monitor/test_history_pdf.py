"""The bulletin (考核通报) as PDF: served by the API, rendered to PNG (pdfium) to see that its
charts are drawn, its text read back; without a Chinese font it still renders, in English."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest

from services.monitor.history import pdf as pdf_module
from services.monitor.history import reports
from services.monitor.history.model import load_model, parse_period
from services.monitor.history.pdf import AMBER, GREEN, RED, pdf_bulletin
from shared.clock import SHANGHAI
from shared.documents import fonts
from tests.unit.monitor.test_history_api import Source, auth, client, seeded

AT = datetime(2026, 4, 2, 9, tzinfo=SHANGHAI)


async def bulletin_doc(by: str = "department") -> dict[str, Any]:
    period = parse_period("2026-Q1")
    return await reports.assessment(seeded(), load_model(), period, by=by, scope=None, at=AT)


def pages(data: bytes) -> list[tuple[str, Any]]:
    """Each page's text and its image at 100 dpi."""
    doc = pdfium.PdfDocument(data)
    out = []
    for page in doc:
        text = page.get_textpage().get_text_range()
        out.append((text, page.render(scale=100 / 72).to_pil().convert("RGB")))
    return out


def colours(image: Any) -> set[tuple[int, int, int]]:
    return {rgb for _, rgb in image.getcolors(maxcolors=1 << 20)}


def has_cjk_font() -> bool:
    return any(Path(p).is_file() for p in fonts.CJK_FONTS)


async def test_the_api_serves_the_bulletin_as_a_pdf_with_its_charts_drawn() -> None:
    async with client(Source(seeded())) as c:
        url = "/v1/assessment?period=2026-Q1&format=pdf"
        got = await c.get(url, headers=auth(["admin"]))
        denied = await c.get(url, headers=auth(["handler"], "510100"))
    assert got.status_code == 200 and got.headers["content-type"] == "application/pdf"
    assert "bulletin-2026-Q1-department.pdf" in got.headers["content-disposition"]
    assert denied.status_code == 403
    rendered = pages(got.content)
    assert len(rendered) == 2  # charts, then the ranking and the totals
    charts_text, charts = rendered[0]
    # the score bars of the three departments, the attainment bars (some red: the seeded
    # history misses targets), and the ratings' bars: colours only a drawn chart has
    assert {RED, pdf_module.BLUE} <= colours(charts)
    assert "Scores (top 3 of 3)" in charts_text and "Ratings by level" in charts_text
    table_text = rendered[1][0]
    for unit in ("500000-GAJ", "500000-SCJ", "510100-SCJ"):
        assert unit in table_text
    assert "Totals" in table_text and "submitted" in table_text


async def test_each_score_bar_is_as_long_as_its_score() -> None:
    doc = await bulletin_doc()
    ranked = [u for u in doc["units"] if u["rank"] is not None]
    _, image = pages(pdf_bulletin(doc))[0]
    # the score chart is the left half; each bar is one horizontal run of its band's colour
    left = image.crop((0, 0, image.width // 2, image.height))
    runs = []
    for y in range(left.height):
        row = [left.getpixel((x, y)) for x in range(left.width)]
        coloured = [x for x, rgb in enumerate(row) if rgb in (RED, AMBER, GREEN)]
        if coloured and (not runs or runs[-1][0] != len(coloured)):
            runs.append((len(coloured), y))
    lengths = [n for n, _ in runs]
    assert len(lengths) == len(ranked)
    widest = max(lengths)
    for length, unit in zip(lengths, ranked, strict=True):
        best = max(u["score"] for u in ranked)
        assert length / widest == pytest.approx(unit["score"] / best, abs=0.02)


@pytest.mark.skipif(not has_cjk_font(), reason="no Chinese font installed (fonts-wqy-microhei)")
async def test_with_a_chinese_font_the_names_are_printed() -> None:
    text = "".join(t for t, _ in pages(pdf_bulletin(await bulletin_doc())))
    assert "考核通报" in text and "重庆市公安局" in text and "承诺时限内办结率" in text


async def test_without_any_font_file_it_renders_in_english(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(fonts, "CJK_FONTS", ())
    monkeypatch.setattr(fonts, "LATIN_FONTS", ())
    rendered = pages(pdf_bulletin(await bulletin_doc("item_code")))
    text = "".join(t for t, _ in rendered)
    assert "Ranking" in text and "Totals" in text and "考核" not in text
    assert RED in colours(rendered[0][1]) or GREEN in colours(rendered[0][1])
