"""Masking of personal data in listings for staff who may not read it."""

from __future__ import annotations


def mask_value(value: str) -> str:
    if len(value) <= 1:
        return "*"
    if "@" in value:
        local, _, domain = value.partition("@")
        return local[:1] + "***@" + domain
    if len(value) <= 3:
        return value[0] + "*" * (len(value) - 1)
    keep = 4 if len(value) >= 15 else 3
    tail = 4 if len(value) >= 8 else 0
    return value[:keep] + "*" * (len(value) - keep - tail) + value[len(value) - tail :]


def mask_personal(text: str, personal: list[str]) -> str:
    """Replace every known personal value (name, ID number, phone, email) in ``text``."""
    for value in sorted({p for p in personal if p}, key=len, reverse=True):
        text = text.replace(value, mask_value(value))
    return text
