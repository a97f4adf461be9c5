"""Finds personal data in a response: resident ID numbers and unified social credit codes that
pass their check character, mobile phone numbers, e-mail addresses, and given names."""

from __future__ import annotations

import re

from shared.identifiers import is_valid_resident_id, is_valid_uscc

_ID = re.compile(r"(?<![0-9A-Z])[0-9A-Z]{17}[0-9X](?![0-9A-Z])")
_PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


def personal_data(text: str, names: tuple[str, ...] = ()) -> list[str]:
    found = [m for m in _ID.findall(text) if is_valid_resident_id(m) or is_valid_uscc(m)]
    found += _PHONE.findall(text) + _EMAIL.findall(text)
    found += [n for n in names if n in text]
    return found
