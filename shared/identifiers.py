"""Validation and masking of the identifiers applicants give us.

- Resident identity card number, GB 11643-1999: 6-digit region, 8-digit birth date, 3-digit
  sequence, check character (ISO 7064 MOD 11-2).
- Unified social credit code, GB 32100-2015: 18 characters from a 31-letter alphabet, last one a
  MOD 31 check character.

Letters are compared case-insensitively (a lowercase ``x`` is the same number); the pydantic types
``ResidentId`` and ``Uscc`` return the uppercase form.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from pydantic import AfterValidator

_RID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_RID_CHECK = "10X98765432"  # indexed by (weighted sum mod 11)

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {c: i for i, c in enumerate(USCC_CHARSET)}
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

# Organisation code (GB 11714-1997) embedded in characters 9-17 of a USCC, used by make_uscc.
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_DEMO_REGIONS = ("110000", "310000", "440300", "500000", "350100", "510100")

# ASCII-only: str.upper() would turn some non-ASCII letters into two characters (ß -> SS).
_ASCII_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


# Resident identity card number -----------------------------------------------------------------


def resident_id_check_char(first17: str) -> str:
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError(f"expected the first 17 digits of a resident ID, got {first17!r}")
    total = sum(int(c) * w for c, w in zip(first17, _RID_WEIGHTS, strict=True))
    return _RID_CHECK[total % 11]


def resident_id_error(s: str) -> str | None:
    """Why ``s`` is not a valid resident ID number, or None if it is."""
    value = s.translate(_ASCII_UPPER)
    if len(value) != 18:
        return f"a resident ID number has 18 characters, got {len(value)}"
    for position, c in enumerate(value[:17], start=1):
        if c not in "0123456789":
            return f"character {position} is {c!r}; the first 17 characters must be digits"
    if value[17] not in "0123456789X":
        return f"character 18 is {value[17]!r}; the check character must be a digit or X"
    birth = value[6:14]
    try:
        date(int(birth[:4]), int(birth[4:6]), int(birth[6:]))
    except ValueError:
        return f"characters 7-14 ({birth}) are not a real birth date"
    expected = resident_id_check_char(value[:17])
    if value[17] != expected:
        return f"check character is {value[17]!r} but should be {expected!r}"
    return None


def is_valid_resident_id(s: str) -> bool:
    return resident_id_error(s) is None


def make_resident_id(region: str, birth: date, seq: int) -> str:
    """A valid number for tests and demo data (``seq`` 0-999; odd = male, even = female)."""
    if len(region) != 6 or not region.isascii() or not region.isdigit():
        raise ValueError(f"region must be 6 digits, got {region!r}")
    if not 0 <= seq <= 999:
        raise ValueError(f"seq must be between 0 and 999, got {seq}")
    first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
    return first17 + resident_id_check_char(first17)


# Unified social credit code ----------------------------------------------------------------------


def uscc_check_char(first17: str) -> str:
    value = first17.translate(_ASCII_UPPER)
    if len(value) != 17 or any(c not in _USCC_VALUE for c in value):
        raise ValueError(
            f"expected the first 17 characters of a social credit code, got {first17!r}"
        )
    total = sum(_USCC_VALUE[c] * w for c, w in zip(value, _USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def uscc_error(s: str) -> str | None:
    """Why ``s`` is not a valid unified social credit code, or None if it is."""
    value = s.translate(_ASCII_UPPER)
    if len(value) != 18:
        return f"a unified social credit code has 18 characters, got {len(value)}"
    for position, c in enumerate(value, start=1):
        if c not in _USCC_VALUE:
            return (
                f"character {position} is {c!r}; only digits and the letters "
                "A-H J-N P-R T-U W-Y are used (never I, O, S, V, Z)"
            )
    expected = uscc_check_char(value[:17])
    if value[17] != expected:
        return f"check character is {value[17]!r} but should be {expected!r}"
    return None


def is_valid_uscc(s: str) -> bool:
    return uscc_error(s) is None


def make_uscc(seed: int) -> str:
    """A deterministic valid code for tests and demo data: an enterprise (91) in a demo region."""
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    region = _DEMO_REGIONS[seed % len(_DEMO_REGIONS)]
    body = f"{seed // len(_DEMO_REGIONS) % 10**8:08d}"
    org_check = 11 - sum(int(c) * w for c, w in zip(body, _ORG_WEIGHTS, strict=True)) % 11
    org_code = body + {10: "X", 11: "0"}.get(org_check, str(org_check))
    first17 = f"91{region}{org_code}"
    return first17 + uscc_check_char(first17)


# Masking -----------------------------------------------------------------------------------------

_RESIDENT_ID_IN_TEXT = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9Xx])")
_MOBILE_IN_TEXT = re.compile(r"(?<![0-9])((?:\+|00)?86[- ]?)?(1[3-9][0-9]{9})(?![0-9])")


def _keep_ends(s: str, head: int, tail: int) -> str:
    if len(s) <= head + tail:
        return "*" * len(s)
    return s[:head] + "*" * (len(s) - head - tail) + s[len(s) - tail :]


def mask_resident_id(s: str) -> str:
    """``1101**********002X``-style: keep the first 4 and the last 4 characters."""
    return _keep_ends(s, 4, 4)


def mask_phone(s: str) -> str:
    """``138****5678``: keep the first 3 and the last 4 characters."""
    return _keep_ends(s, 3, 4)


def mask_text(text: str) -> str:
    """Mask every 18-character resident ID pattern and mainland mobile number in free text."""
    text = _RESIDENT_ID_IN_TEXT.sub(lambda m: mask_resident_id(m.group(0)), text)
    return _MOBILE_IN_TEXT.sub(lambda m: (m.group(1) or "") + mask_phone(m.group(2)), text)


def mask_document(value: Any) -> Any:
    """A JSON-like document with ``mask_text`` applied to every string in it, keys apart: the one
    way a response shows a document to someone who may not see identifiers in full (a field that
    carries an ID number or a mobile number is masked wherever it sits, licence references and
    free text included)."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {k: mask_document(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_document(v) for v in value]
    return value


# Pydantic types ----------------------------------------------------------------------------------


def _validated_resident_id(value: str) -> str:
    normalised = value.strip().translate(_ASCII_UPPER)
    error = resident_id_error(normalised)
    if error is not None:
        raise ValueError(error)
    return normalised


def _validated_uscc(value: str) -> str:
    normalised = value.strip().translate(_ASCII_UPPER)
    error = uscc_error(normalised)
    if error is not None:
        raise ValueError(error)
    return normalised


ResidentId = Annotated[str, AfterValidator(_validated_resident_id)]
Uscc = Annotated[str, AfterValidator(_validated_uscc)]
