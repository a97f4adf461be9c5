"""Documents the platform issues (decision notices, e-licences) as PDF, drawn with fpdf2."""

from shared.documents.pdf import Issued, find_font, render_document

__all__ = ["Issued", "find_font", "render_document"]
