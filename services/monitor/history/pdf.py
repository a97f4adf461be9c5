"""The assessment bulletin (考核通报) as PDF: the same document as the Markdown, with charts
where a reader would rather look than read (scores by unit, the totals' attainment of each
indicator, ratings by level, escalations by rung). Drawn with fpdf2 alone: bars are rectangles.

Chinese needs a CJK font, looked up and parsed once per process by shared/documents/fonts.py,
or the file the caller names. Without one the PDF keeps the English half of every label and
the units' codes instead of their names, rather than printing empty boxes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from services.monitor.history.assess import attainment
from services.monitor.history.bulletin import BY_LABEL, fmt_value, num, totals_lines
from services.monitor.history.model import Indicator
from shared.contracts import RatingLevel
from shared.documents import add_body_font, find_font

CHART_TOP = 25  # units drawn in the score chart; the table lists them all
BLUE, GREEN, AMBER, RED, GREY = (
    (52, 101, 164),
    (46, 139, 87),
    (230, 160, 0),
    (200, 40, 40),
    (90, 90, 90),
)


class _Doc(FPDF):
    def __init__(self, font: Path | None, cjk: bool) -> None:
        super().__init__(orientation="L", format="A4")
        self.cjk, self.unicode = cjk, font is not None
        self.family_name = add_body_font(self, font) if font is not None else "helvetica"
        self.set_auto_page_break(auto=True, margin=12)
        self.set_margins(12, 12, 12)

    def t(self, text: str) -> str:
        """The text as this font can draw it: without CJK, the English half of a label."""
        if self.cjk:
            return text
        kept = "".join(ch for ch in text if ord(ch) < 0x2E80).replace("()", "")
        kept = " ".join(kept.split())
        if not self.unicode:
            kept = kept.replace("—", "-").replace("–", "-").encode("latin-1", "replace").decode()
        return kept or "-"

    def font(self, size: float) -> None:
        self.set_font(self.family_name, size=size)

    def line_of(self, text: str, size: float = 9, height: float = 5) -> None:
        self.font(size)
        self.multi_cell(0, height, self.t(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _name(pdf: _Doc, unit: Mapping[str, Any]) -> str:
    if pdf.cjk and unit["name"] != unit["unit"]:
        return f"{unit['name']} ({unit['unit']})"
    return str(unit["unit"])


def _bars(
    pdf: _Doc,
    title: str,
    rows: Sequence[tuple[str, float, tuple[int, int, int]]],
    *,
    x: float,
    y: float,
    w: float,
    scale: float,
    label_w: float = 45,
    text: Any = None,
) -> float:
    """A horizontal bar chart; returns the y below it."""
    pdf.set_xy(x, y)
    pdf.font(10)
    pdf.cell(w, 6, pdf.t(title), new_x=XPos.LEFT, new_y=YPos.NEXT)
    y += 7
    bar_w = w - label_w - 18
    row_h = 4.2 if len(rows) > 12 else 5.5
    pdf.font(7 if len(rows) > 12 else 8)
    for label, value, colour in rows:
        pdf.set_xy(x, y)
        pdf.cell(label_w, row_h, pdf.t(label)[:40], align="R")
        length = 0.0 if not scale else max(0.0, min(1.0, value / scale)) * bar_w
        pdf.set_fill_color(*colour)
        if length:
            pdf.rect(x + label_w + 1, y + 0.6, length, row_h - 1.2, style="F")
        pdf.set_xy(x + label_w + 2 + length, y)
        pdf.cell(16, row_h, text(value) if text else num(value))
        y += row_h
    pdf.set_draw_color(*GREY)
    pdf.line(x + label_w + 1, y - row_h * len(rows), x + label_w + 1, y)
    return y + 4


def _score_colour(score: float) -> tuple[int, int, int]:
    return GREEN if score >= 90 else AMBER if score >= 75 else RED


def _charts(pdf: _Doc, doc: Mapping[str, Any]) -> None:
    top = pdf.get_y() + 2
    ranked = [u for u in doc["units"] if u["rank"] is not None][:CHART_TOP]
    scores = [
        (f"{u['rank']}. {_name(pdf, u)}", float(u["score"]), _score_colour(u["score"]))
        for u in ranked
    ]
    left_end = _bars(
        pdf, f"得分 Scores (top {len(scores)} of {len(doc['units'])})", scores,
        x=12, y=top, w=135, scale=100, label_w=60,
    )  # fmt: skip
    totals = doc["totals"]
    attained = []
    for spec in doc["indicators"]:
        value = totals["indicators"].get(spec["id"])
        if value is not None:
            share = attainment(Indicator.model_validate(spec), value)
            attained.append((spec["name"], share, _score_colour(100 * share)))
    y = _bars(
        pdf, "全平台指标达成度 Totals: attainment of each indicator", attained,
        x=152, y=top, w=133, scale=1.0, label_w=50, text=lambda v: f"{100 * v:.0f}%",
    )  # fmt: skip
    levels = totals["ratings"]["by_level"]
    ratings = [(r.value, float(levels.get(r.value, 0)), BLUE) for r in RatingLevel]
    y = _bars(
        pdf, "好差评 Ratings by level", ratings,
        x=152, y=y, w=133, scale=max([v for _, v, _ in ratings] + [1]), label_w=50,
        text=lambda v: f"{v:.0f}",
    )  # fmt: skip
    rungs = totals["supervision"]["escalations_by_rung"]
    if rungs:
        rows = [(f"rung {n}", float(v), RED if int(n) >= 2 else AMBER) for n, v in rungs.items()]
        y = _bars(
            pdf, "督办 Escalations by rung", rows,
            x=152, y=y, w=133, scale=max(v for _, v, _ in rows), label_w=50,
            text=lambda v: f"{v:.0f}",
        )  # fmt: skip
    pdf.set_xy(12, max(left_end, y))


def _ranking(pdf: _Doc, doc: Mapping[str, Any]) -> None:
    pdf.line_of("排名 Ranking", size=12, height=7)
    names = [i["name"] if pdf.cjk else i["id"] for i in doc["indicators"]]
    pdf.font(6.5 if len(names) > 6 else 8)
    widths = (10, 58, 14, *([(277 - 82) / max(1, len(names))] * len(names)))
    heading = FontFace(emphasis="", fill_color=(225, 230, 240))  # one weight of the font: no bold
    with pdf.table(
        col_widths=widths,
        text_align="CENTER",
        line_height=4.5,
        headings_style=heading,
        cell_fill_color=(245, 245, 245),
        cell_fill_mode="ROWS",
    ) as table:
        head = table.row()
        for label in (pdf.t("名次 Rank"), pdf.t("单位 Unit"), pdf.t("得分 Score"), *names):
            head.cell(label)
        for u in doc["units"]:
            row = table.row()
            row.cell("-" if u["rank"] is None else str(u["rank"]))
            row.cell(_name(pdf, u)[:48], align="LEFT")
            row.cell(num(u["score"]))
            for indicator in u["indicators"]:
                row.cell(pdf.t(fmt_value(indicator)))


def pdf_bulletin(doc: Mapping[str, Any], *, font: str | Path | None = None) -> bytes:
    """The bulletin ``bulletin.bulletin`` built, as a PDF (A4 landscape)."""
    pdf = _Doc(*find_font(font))
    pdf.set_title(pdf.t(doc["title"]))
    pdf.add_page()
    period = doc["period"]
    pdf.line_of(doc["title"], size=16, height=9)
    scope = f"; 范围 region {doc['region_scope']}" if doc["region_scope"] else ""
    pdf.line_of(
        f"考核期间 Period: {period['label']} ({period['from']} – {period['to']}); "
        f"按{BY_LABEL[doc['by']]}排名 (by {doc['by']}){scope}"
    )
    _charts(pdf, doc)
    pdf.add_page()
    _ranking(pdf, doc)
    pdf.ln(4)
    pdf.line_of("全平台汇总 Totals", size=12, height=7)
    for line in totals_lines(doc["totals"]):
        pdf.line_of(line.removeprefix("- "))
    pdf.ln(2)
    pdf.line_of(f"Generated {doc['generated_at']:%Y-%m-%d %H:%M %Z} from the period rollups.", 8)
    return bytes(pdf.output())
