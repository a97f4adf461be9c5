"""The font every issued PDF draws with: looked up in one place, parsed once per process.

Chinese needs a CJK font: the first of ``CJK_FONTS`` installed (Debian: fonts-wqy-microhei), or
the file the caller names. Without one a document keeps the English half of every label rather
than printing empty boxes.

Parsing a CJK font (about 50,000 glyphs) is most of the time a PDF takes, so it is done once per
font file and process. A document cannot share the parsed font itself: when fpdf2 writes the PDF,
fontTools subsets the font in place (drops glyphs, renumbers components, rewrites cmap), and the
next document would then miss its glyphs. Each document gets its own copy of the parsed font,
unpickled from the state fpdf2 left after parsing, which is exactly what a fresh ``add_font``
gives (the same bytes out) for a fraction of the time.
"""

from __future__ import annotations

import copy
import pickle
import threading
from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF
from fpdf.font_type_3 import get_color_font_object
from fpdf.fonts import SubsetMap, TTFFont

CJK_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)
LATIN_FONTS = ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",)
FAMILY = "body"


def find_font(explicit: str | Path | None = None) -> tuple[Path | None, bool]:
    """The font to draw with and whether it has Chinese."""
    if explicit is not None:
        return Path(explicit), True
    for candidates, cjk in ((CJK_FONTS, True), (LATIN_FONTS, False)):
        for path in candidates:
            if Path(path).is_file():
                return Path(path), cjk
    return None, False


@dataclass(frozen=True)
class _Parsed:
    template: TTFFont  # its per-document fields are replaced in every copy
    tables: bytes  # the parsed fontTools font, pickled: each document unpickles its own


_parsed: dict[str, _Parsed] = {}
_lock = threading.Lock()


def _parse(path: Path) -> _Parsed:
    with _lock:
        key = str(path.resolve())
        if key not in _parsed:
            scratch = FPDF()
            scratch.add_font(FAMILY, fname=str(path))
            template = scratch.fonts[FAMILY]
            assert isinstance(template, TTFFont)
            tables = pickle.dumps(template.ttfont, protocol=pickle.HIGHEST_PROTOCOL)
            _parsed[key] = _Parsed(template, tables)
        return _parsed[key]


def forget_parsed_fonts() -> None:
    """Parse again on next use (tests compare a cached font with a freshly parsed one)."""
    with _lock:
        _parsed.clear()


def add_body_font(pdf: FPDF, path: Path) -> str:
    """Give ``pdf`` the font at ``path`` as its body family, as ``add_font`` would; its name."""
    parsed = _parse(path)
    font = copy.copy(parsed.template)
    font.i = len(pdf.fonts) + 1
    font.ttfont = pickle.loads(parsed.tables)  # noqa: S301 - pickled by this process above
    font.cw = copy.copy(parsed.template.cw)  # a defaultdict: a lookup of a missing char adds it
    font.missing_glyphs = []
    font.biggest_size_pt = 0
    font._hbfont = None
    font.subset = SubsetMap(font)
    font.color_font = (
        get_color_font_object(pdf, font, font.palette_index) if pdf.render_color_fonts else None
    )
    if font.is_cff and font.is_cid_keyed:
        pdf._set_min_pdf_version("1.6")
    pdf.fonts[FAMILY] = font
    return FAMILY
