"""The bucket's one layout (docs/archive.md): every service that names an object names it here."""

from __future__ import annotations

import re

UPLOAD_ID_RE = re.compile(r"^up-[A-Za-z0-9_-]{16,64}$")


def material_key(upload_id: str) -> str:
    """Where an applicant's upload lives, from its slot to the end of its retention."""
    if not UPLOAD_ID_RE.match(upload_id):
        raise ValueError(f"not an upload id: {upload_id!r}")
    return f"materials/{upload_id}"
