"""What an applicant submits, and the rules a submission must pass before it becomes a case."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from services.intake.domain.catalog import ItemStatus, ServiceItem
from services.intake.domain.errors import Conflict, FieldError
from shared.contacts import Email, MainlandMobile
from shared.contracts.common import (
    Applicant,
    ApplicantKind,
    Channel,
    Contact,
    JsonObject,
    Material,
    RegionCode,
    SubmittedBy,
)
from shared.identifiers import resident_id_error, uscc_error

CASE_NUMBER_RE = re.compile(r"^(?P<region>\d{6})-(?P<day>\d{8})-(?P<seq>\d{6})$")
MAX_SEQUENCE = 999_999


def applicant_id_error(kind: ApplicantKind, id_number: str) -> str | None:
    """Check digits per GB 11643-1999 (person) or GB 32100-2015 (entity)."""
    if kind == ApplicantKind.PERSON:
        error = resident_id_error(id_number.strip())
        return None if error is None else f"not a valid resident ID number: {error}"
    error = uscc_error(id_number.strip())
    return None if error is None else f"not a valid unified social credit code: {error}"


class ApplicantIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: ApplicantKind
    id_number: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=200)

    @field_validator("id_number")
    @classmethod
    def _check_digits(cls, value: str, info: ValidationInfo) -> str:
        kind = info.data.get("kind")
        if kind is None:
            return value
        error = applicant_id_error(kind, value)
        if error is not None:
            raise ValueError(error)
        return value.strip().upper()

    def to_applicant(self) -> Applicant:
        return Applicant(kind=self.kind, id_number=self.id_number, name=self.name)


class ContactIn(BaseModel):
    """Where the applicant hears about the case, checked at the door (shared/contacts.py)."""

    model_config = ConfigDict(extra="forbid")

    phone: MainlandMobile | None = Field(None, description="mainland mobile, stored as E.164")
    email: Email | None = None
    locale: str = Field("zh-CN", max_length=35)

    def to_contact(self) -> Contact:
        return Contact(phone=self.phone, email=self.email, locale=self.locale)


def checked_contact(contact: Contact) -> tuple[Contact, list[FieldError]]:
    """The contact with its phone in E.164, or the field errors (submissions from the bus,
    which their contract lets through unchecked)."""
    flags = {"phone_verified": contact.phone_verified, "email_verified": contact.email_verified}
    fields = contact.model_dump(exclude=set(flags))
    try:
        return ContactIn.model_validate(fields).to_contact().model_copy(update=flags), []
    except ValidationError as exc:
        return contact, [
            FieldError(".".join(["contact", *(str(p) for p in e["loc"])]), e["msg"])
            for e in exc.errors()
        ]


class SubmissionIn(BaseModel):
    """The body of ``POST /v1/cases``."""

    model_config = ConfigDict(extra="forbid")

    item_code: str = Field(min_length=1, max_length=40)
    applicant: ApplicantIn
    contact: ContactIn = ContactIn()
    form: JsonObject = Field(default_factory=dict)
    materials: list[Material] = Field(default_factory=list, max_length=200)
    channel: Channel = Channel.WEB
    receiving_region: RegionCode
    handling_region: RegionCode | None = None
    accept_with_gaps: bool = Field(False, description="ask for 容缺受理 if a material is missing")

    def fingerprint(self) -> str:
        """Stable hash of the body, to tell a retry from a different request under the same key."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()


class Submission(BaseModel):
    """A submission from any channel, after schema validation, before the item's rules."""

    model_config = ConfigDict(frozen=True)

    item_code: str
    applicant: Applicant
    contact: Contact
    form: JsonObject
    materials: list[Material]
    channel: Channel
    receiving_region: str
    handling_region: str | None
    accept_with_gaps: bool = False
    source_system: str | None = None
    external_id: str | None = None
    submitted_by: SubmittedBy | None = None


def check_item_open(item: ServiceItem) -> None:
    if item.status == ItemStatus.CLOSED:
        raise Conflict(f"item {item.code} ({item.name}) is closed to new applications")


def format_case_number(region: str, local_day: date, seq: int) -> str:
    if not (len(region) == 6 and region.isdigit()):
        raise ValueError(f"region must be six digits, got {region!r}")
    if not 1 <= seq <= MAX_SEQUENCE:
        raise ValueError(f"sequence {seq} outside 1..{MAX_SEQUENCE}")
    return f"{region}-{local_day:%Y%m%d}-{seq:06d}"


def is_case_number(value: str) -> bool:
    return CASE_NUMBER_RE.match(value) is not None


def idempotency_scope(key: str, applicant_id: str) -> str:
    """What an Idempotency-Key is remembered under: the key is the applicant's own, so two
    applicants who happen to choose the same key never meet (nor learn of each other's case)."""
    return hashlib.sha256(f"{applicant_id.strip().upper()}\n{key}".encode()).hexdigest()


def hash_verification_code(case_id: str, code: str) -> str:
    return hashlib.sha256(f"{case_id}:{code.strip().upper()}".encode()).hexdigest()
