"""Contact details checked where they enter the platform (submissions, the officer directory),
instead of as a failed mail or SMS days later. One definition for every service that takes them.

- ``MainlandMobile``: an applicant's number, where notices go by SMS: a mainland mobile number,
  kept in E.164 (``+8613800138000``) whatever the spelling it came in (``138 0013 8000``,
  ``+86-138…``).
- ``CnPhone``: an officer's number in the directory: any valid mainland China number (mobile or
  landline, with or without +86), kept as national digits (``13800000101``, ``02363881234``).
  Numbers of other regions are refused by both.
- ``Email``: checked for syntax by email-validator (pydantic's ``EmailStr``), no DNS look-up; the
  domain is stored lowercased.

Both phone forms are recognised by the log and view masking (``shared/identifiers.mask_text``).
"""

from __future__ import annotations

from typing import Annotated

import phonenumbers
from pydantic import AfterValidator, EmailStr
from pydantic_extra_types.phone_numbers import PhoneNumberValidator

_MOBILE_TYPES = frozenset(
    {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
)


def _mobile(e164: str) -> str:
    if phonenumbers.number_type(phonenumbers.parse(e164)) not in _MOBILE_TYPES:
        raise ValueError("not a mobile number: notices are sent by SMS")
    return e164


def _national_digits(value: str) -> str:
    return "".join(c for c in value if c.isdigit())


MainlandMobile = Annotated[
    str,
    PhoneNumberValidator(supported_regions=["CN"], default_region="CN", number_format="E164"),
    AfterValidator(_mobile),
]
CnPhone = Annotated[
    str,
    PhoneNumberValidator(supported_regions=["CN"], default_region="CN", number_format="NATIONAL"),
    AfterValidator(_national_digits),
]
Email = EmailStr

__all__ = ["CnPhone", "Email", "MainlandMobile"]
