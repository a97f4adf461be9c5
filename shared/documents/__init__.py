"""Documents the platform issues (decision notices, e-licences) as PDF, drawn with fpdf2."""

from shared.documents.fonts import add_body_font, find_font
from shared.documents.pdf import DocumentRenderer, Issued, render_document

__all__ = ["DocumentRenderer", "Issued", "add_body_font", "find_font", "render_document"]
