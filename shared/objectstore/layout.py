"""The bucket's one layout (docs/archive.md): every service that names an object names it here."""

from __future__ import annotations

import re

UPLOAD_ID_RE = re.compile(r"^up-[A-Za-z0-9_-]{16,64}$")
# A case id or a document's name as it may appear in a key: no slash, no dot-dot, no spaces.
KEY_PART_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


def material_key(upload_id: str) -> str:
    """Where an applicant's upload lives, from its slot to the end of its retention."""
    if not UPLOAD_ID_RE.match(upload_id):
        raise ValueError(f"not an upload id: {upload_id!r}")
    return f"materials/{upload_id}"


def _part(value: str, what: str) -> str:
    if not KEY_PART_RE.match(value) or ".." in value:
        raise ValueError(f"not a {what}: {value!r}")
    return value


def document_key(case_id: str, name: str) -> str:
    """A document the platform issued for a case (decision notice, e-licence), as a PDF."""
    return f"documents/{_part(case_id, 'case id')}/{_part(name, 'document name')}.pdf"


def manifest_key(case_id: str) -> str:
    """The sealed dossier of a finished case: one JSON object."""
    return f"archive/{_part(case_id, 'case id')}/manifest.json"
