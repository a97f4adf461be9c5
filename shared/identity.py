"""Who a verified token says its holder is (``Principal``), and the real-name claims of the
identity provider. No web framework here: pure domain code may import it.

An applicant's token carries, besides ``sub``:

- ``id_number`` and ``id_kind`` (``person``: a resident ID; ``entity``: a unified social credit
  code, the account of a company or organisation, 法人) and ``name``: the identity the provider
  checked against the registry;
- ``acr``: how surely (``shared.roles.Assurance``: ``basic``, ``real_name``, ``real_person`` or
  1 to 3);
- the OpenID Connect contact claims ``phone_number`` / ``phone_number_verified`` and ``email`` /
  ``email_verified``: a contact counts only when the provider says it verified it.

A claim that does not check out (a wrong check digit, a phone that is not a mainland mobile) is
dropped, never trusted half-way.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from shared.contacts import Email, MainlandMobile
from shared.contracts.common import ApplicantKind
from shared.identifiers import resident_id_error, uscc_error
from shared.roles import Assurance

_MOBILE: TypeAdapter[str] = TypeAdapter(MainlandMobile)
_EMAIL: TypeAdapter[str] = TypeAdapter(Email)


class RealName(BaseModel):
    """The identity the provider vouches for, and how surely."""

    model_config = ConfigDict(frozen=True)

    kind: ApplicantKind
    id_number: str
    name: str
    assurance: Assurance


class Principal(BaseModel):
    model_config = ConfigDict(frozen=True)

    subject: str
    name: str = ""
    department: str | None = None
    region: str | None = None
    roles: frozenset[str] = frozenset()
    real_name: RealName | None = None
    verified_phone: str | None = None
    verified_email: str | None = None

    def has_any(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))


def real_name_from_claims(claims: dict[str, Any]) -> RealName | None:
    id_number = str(claims.get("id_number") or "").strip().upper()
    if not id_number:
        return None
    try:
        kind = ApplicantKind(str(claims.get("id_kind") or ApplicantKind.PERSON.value))
    except ValueError:
        return None
    error = (resident_id_error if kind is ApplicantKind.PERSON else uscc_error)(id_number)
    if error is not None:
        return None
    return RealName(
        kind=kind,
        id_number=id_number,
        name=str(claims.get("name") or ""),
        assurance=Assurance.parse(claims.get("acr")),
    )


def _verified(claims: dict[str, Any], field: str, adapter: TypeAdapter[str]) -> str | None:
    if claims.get(f"{field}_verified") is not True or not claims.get(field):
        return None
    try:
        return adapter.validate_python(str(claims[field]))
    except ValidationError:
        return None


def verified_phone(claims: dict[str, Any]) -> str | None:
    """The provider-verified mainland mobile, in E.164 like a submission's contact."""
    return _verified(claims, "phone_number", _MOBILE)


def verified_email(claims: dict[str, Any]) -> str | None:
    email = _verified(claims, "email", _EMAIL)
    return email.lower() if email else None


def real_name_claims(
    real_name: RealName | None, *, phone: str | None = None, email: str | None = None
) -> dict[str, Any]:
    """The claims a development token carries for a real name and verified contacts (the
    inverse of the readers above; production tokens come from the identity provider)."""
    claims: dict[str, Any] = {}
    if real_name is not None:
        claims |= {
            "id_number": real_name.id_number,
            "id_kind": real_name.kind.value,
            "acr": real_name.assurance.name.lower(),
        }
    if phone:
        claims |= {"phone_number": phone, "phone_number_verified": True}
    if email:
        claims |= {"email": email, "email_verified": True}
    return claims


__all__ = [
    "Principal",
    "RealName",
    "real_name_claims",
    "real_name_from_claims",
    "verified_email",
    "verified_phone",
]
