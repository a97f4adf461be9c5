"""Contact details checked where they enter the platform (submissions, the officer directory),
instead of as a failed mail or SMS days later.

Phones are mainland mobile numbers (the platform's notices go by SMS), kept in E.164
(``+8613800138000``) whatever the spelling they came in (``138 0013 8000``, ``+86-138…``).
Email addresses are checked for syntax by email-validator (pydantic's ``EmailStr``), without a
DNS look-up.
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


MainlandMobile = Annotated[
    str,
    PhoneNumberValidator(supported_regions=["CN"], default_region="CN", number_format="E164"),
    AfterValidator(_mobile),
]
Email = EmailStr

__all__ = ["Email", "MainlandMobile"]
