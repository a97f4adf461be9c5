"""E-licences (电子证照): issued when a licence item is approved, kept in intake's registry,
reused by later applications ("what can be checked online is never asked for again").

- An item that issues a licence says so in the catalog (``issues_licence``: its type, name and
  validity). When approval decides the case ``approved`` with a licence number, intake writes the
  licence to the registry and publishes ``licence.issued`` on ``egov.licences``.
- A case ``revoked`` after verification (a false commitment) revokes its licence
  (``licence.revoked``).
- A later submission may refer to a licence for a material whose catalog entry names its type:
  it must exist, be of that type, belong to the applicant, be valid today and not revoked (else
  422 naming the material). A required material the applicant leaves out is filled in from a
  valid licence of that type the applicant holds, marked ``verified_from_licence``.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from shared.contracts.common import Material, MaterialForm

LICENCE_TYPE_PATTERN = r"^[a-z0-9_]{1,60}$"
# Kept as ISO text whatever the dump mode: BSON stores no bare dates (the case document and the
# registry carry licences).
IsoDate = Annotated[date, PlainSerializer(date.isoformat, return_type=str)]


class LicenceSpec(BaseModel):
    """What an item's approval issues."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    type: str = Field(pattern=LICENCE_TYPE_PATTERN, examples=["food_business_licence"])
    name: str = Field(min_length=1, max_length=200, examples=["食品经营许可证"])
    valid_years: int | None = Field(None, ge=1, le=30, description="None: valid indefinitely")


class LicenceStatus(StrEnum):
    VALID = "valid"
    REVOKED = "revoked"


class Licence(BaseModel):
    model_config = ConfigDict(frozen=True)

    ref: str
    type: str
    name: str = ""
    holder: str  # resident ID number or unified social credit code
    valid_from: IsoDate | None = None
    valid_until: IsoDate | None = None  # None: indefinitely
    department: str | None = None
    region: str | None = None
    case_id: str | None = None
    status: LicenceStatus = LicenceStatus.VALID
    revoked_at: datetime | None = None
    revoked_reason: str | None = None


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year + years, day=28)


def issued(
    spec: LicenceSpec,
    *,
    ref: str,
    holder: str,
    case_id: str,
    department: str,
    region: str,
    day: date,
) -> Licence:
    """The licence a case's approval issues on ``day`` (Beijing time), valid through the day
    before the same date ``valid_years`` later."""
    until = None
    if spec.valid_years is not None:
        until = date.fromordinal(_add_years(day, spec.valid_years).toordinal() - 1)
    return Licence(
        ref=ref,
        type=spec.type,
        name=spec.name,
        holder=holder,
        valid_from=day,
        valid_until=until,
        department=department,
        region=region,
        case_id=case_id,
    )


def revoked(licence: Licence, *, at: datetime, reason: str) -> Licence:
    if licence.status is LicenceStatus.REVOKED:
        return licence
    return licence.model_copy(
        update={"status": LicenceStatus.REVOKED, "revoked_at": at, "revoked_reason": reason}
    )


def is_usable(licence: Licence, today: date) -> bool:
    return (
        licence.status is LicenceStatus.VALID
        and (licence.valid_from is None or licence.valid_from <= today)
        and (licence.valid_until is None or today <= licence.valid_until)
    )


def licence_problem(
    licence: Licence | None, *, holder: str, wanted_type: str | None, today: date
) -> str | None:
    """Why a referenced licence cannot stand for a material, or None."""
    if licence is None:
        return "not found in the e-licence registry"
    if licence.holder.upper() != holder.strip().upper():
        return "this e-licence belongs to another holder"
    if wanted_type is not None and licence.type != wanted_type:
        return f"this e-licence is a {licence.type}; this material needs a {wanted_type}"
    if licence.status is LicenceStatus.REVOKED:
        return "this e-licence was revoked"
    if licence.valid_until is not None and licence.valid_until < today:
        return f"this e-licence expired on {licence.valid_until.isoformat()}"
    if licence.valid_from is not None and today < licence.valid_from:
        return f"this e-licence is valid from {licence.valid_from.isoformat()}"
    return None


def reusable(held: list[Licence], wanted_type: str, today: date) -> Licence | None:
    """The applicant's usable licence of a type (the longest valid first)."""
    usable = [lic for lic in held if lic.type == wanted_type and is_usable(lic, today)]
    usable.sort(key=lambda lic: (lic.valid_until is not None, lic.valid_until or date.max))
    return usable[0] if usable else None


def from_licence(code: str, licence: Licence) -> Material:
    """The material a registry licence stands for, not asked of the applicant."""
    return Material(
        code=code,
        form=MaterialForm.ELICENSE,
        name=licence.name or None,
        licence_ref=licence.ref,
        verified_from_licence=True,
    )


def licence_document(licence: Licence, holder_name: str) -> tuple[str, list[tuple[str, str]]]:
    """What the e-licence's PDF says: the licence as the registry holds it."""
    rows = [
        ("证照名称 Licence", licence.name or licence.type),
        ("证照编号 Number", licence.ref),
        ("持证主体 Holder", f"{holder_name} ({licence.holder})"),
        ("发证机关 Department", licence.department or ""),
        ("有效期自 Valid from", licence.valid_from.isoformat() if licence.valid_from else ""),
        (
            "有效期至 Valid until",
            licence.valid_until.isoformat() if licence.valid_until else "长期 indefinitely",
        ),
        ("案件编号 Case", licence.case_id or ""),
    ]
    return f"电子证照 E-licence: {licence.name or licence.type}", rows
