"""Documents the platform issues (decision notices, e-licences) as PDF, drawn with fpdf2."""

from shared.documents.fonts import add_body_font, find_font
from shared.documents.pdf import Issued, render_document

__all__ = ["Issued", "add_body_font", "find_font", "render_document"]
