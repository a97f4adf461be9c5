"""Published ratings (好差评 评价专栏): each rating of a period with its level, item, department,
region and day, and a bad rating's rectification (整改) with the department's answer. Pure.

Nothing that names the applicant is kept: the rating's comment never enters the history, and a
rectification answer is stored only after ``public_answer``: resident ID numbers and mobile
numbers masked by the shared rule, e-mail addresses and credit codes removed. A name written
into an answer cannot be told from other words; the answer is the department's published reply.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from shared.clock import SHANGHAI
from shared.identifiers import mask_text

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_CREDIT_CODE = re.compile(
    r"(?<![0-9A-Z])[0-9A-HJ-NP-RTUW-Y]{2}\d{6}[0-9A-HJ-NP-RTUW-Y]{10}(?![0-9A-Z])"
)
MAX_ANSWER = 1000  # characters published of an answer


def public_answer(text: str) -> str:
    text = _EMAIL.sub("[e-mail]", mask_text(text))
    return _CREDIT_CODE.sub("[code]", text)[:MAX_ANSWER]


def _day(at: Any) -> str:
    return str(at.astimezone(SHANGHAI).date())


def published(doc: Mapping[str, Any]) -> dict[str, Any]:
    """One rated case as the public column shows it: no case id, no person."""
    rating = doc["rating"]
    out: dict[str, Any] = {
        "level": rating["level"],
        "rated_on": _day(rating["at"]),
        "department": rating["department"],
        "region": rating["region"],
        "item_code": rating.get("item_code"),
    }
    if rating.get("departments"):  # a bundle's one rating: its items' departments
        out["departments"] = rating["departments"]
    rects = [r for r in doc.get("rects", []) if "opened_at" in r]
    if rects:
        from services.monitor.history.projection import due_at  # it imports public_answer

        rect = max(rects, key=lambda r: r["opened_at"])
        due, closed = due_at(rect), rect.get("closed_at")
        out["rectification"] = {
            "opened_on": _day(rect["opened_at"]),
            "due_on": None if due is None else _day(due),
            "answered_on": None if closed is None else _day(closed),
            "on_time": None if closed is None or due is None else bool(closed <= due),
            "answer": rect.get("answer"),
        }
    return out
