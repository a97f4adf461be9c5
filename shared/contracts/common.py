"""Value types used inside event payloads."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import pydantic
from pydantic import BaseModel, ConfigDict, Field

from shared.calendar.limits import Limit, LimitUnit

# Pydantic's own aware type: a timestamp without an offset is a schema violation, never
# silently taken for UTC (an outside system's "2026-03-02T09:00:00" is most likely local time).
AwareDatetime = Annotated[
    pydantic.AwareDatetime, Field(description="RFC 3339 timestamp with offset")
]
RegionCode = Annotated[str, Field(pattern=r"^\d{6}$", description="GB/T 2260 division code")]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class ApplicantKind(StrEnum):
    PERSON = "person"
    ENTITY = "entity"


class SubjectKind(StrEnum):
    PERSON = "person"
    ENTITY = "entity"
    DEPARTMENT = "department"


class Channel(StrEnum):
    WEB = "web"
    APP = "app"
    WINDOW = "window"
    KIOSK = "kiosk"
    BANK_BRANCH = "bank_branch"
    EXTERNAL = "external"


class MaterialForm(StrEnum):
    UPLOAD = "upload"
    ELICENSE = "elicense"
    COMMITMENT = "commitment"


class ParallelMode(StrEnum):
    ALL = "all"  # 会签: every department must approve
    ANY = "any"  # 或签: the first approval suffices


class StageKind(StrEnum):
    PREREVIEW = "prereview"
    ACCEPT = "accept"
    REVIEW = "review"
    DECIDE = "decide"
    DELIVER = "deliver"
    VERIFICATION = "verification"
    RECTIFICATION = "rectification"
    OBJECTION = "objection"
    # The case's own limits, counted from acceptance with the same stops as its stages.
    CASE_PROMISED = "case_promised"
    CASE_STATUTORY = "case_statutory"
    # A department's answer to a finding or escalation in the 督办 register, supervised in turn.
    REGISTER_ANSWER = "register_answer"
    # Accept-with-gaps (容缺受理): the applicant's deadline to supply what is still owed.
    OWED_MATERIALS = "owed_materials"


CASE_CLOCKS = frozenset({StageKind.CASE_PROMISED, StageKind.CASE_STATUTORY})


class Light(StrEnum):
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


class Severity(StrEnum):
    GENERAL = "general"
    SERIOUS = "serious"
    VERY_SERIOUS = "very_serious"


class RatingLevel(StrEnum):
    VERY_SATISFIED = "very_satisfied"  # 非常满意
    SATISFIED = "satisfied"  # 满意
    BASICALLY_SATISFIED = "basically_satisfied"  # 基本满意
    DISSATISFIED = "dissatisfied"  # 不满意
    VERY_DISSATISFIED = "very_dissatisfied"  # 非常不满意


class Applicant(Frozen):
    kind: ApplicantKind
    id_number: str = Field(description="resident ID (person) or unified social credit code")
    name: str = Field(min_length=1, max_length=200)


class Contact(Frozen):
    phone: str | None = None
    email: str | None = None
    locale: str = "zh-CN"
    phone_verified: bool = Field(
        False, description="the identity provider verified this phone as the applicant's own"
    )
    email_verified: bool = Field(
        False, description="the identity provider verified this email as the applicant's own"
    )


class SubmitterKind(StrEnum):
    """Who put a submission in: the one the rules of docs/security.md "Applicants" checked."""

    APPLICANT = "applicant"  # the applicant's own real-name token
    AGENT = "agent"  # a person the applicant registered as its agent (经办人, 代理人)
    OFFICER = "officer"  # 帮办代办: a window officer who checked the ID in person
    TERMINAL = "terminal"  # a hall's self-service kiosk or bank-branch terminal
    SYSTEM = "system"  # a registered outside system that authenticated the applicant itself


class SubmittedBy(Frozen):
    kind: SubmitterKind
    subject: str = Field(description="the token's subject: account, officer, terminal or system")
    assurance: int = Field(0, ge=0, le=3, description="shared.roles.Assurance of the token")
    department: str | None = Field(None, description="the officer's department (帮办代办)")


class Material(Frozen):
    code: str
    form: MaterialForm
    name: str | None = None
    sha256: str | None = Field(None, pattern=r"^[0-9a-f]{64}$")
    size: int | None = Field(None, ge=0)
    licence_ref: str | None = None
    commitment_text: str | None = None
    verified_from_licence: bool = Field(
        False, description="filled in by intake from the applicant's e-licence; not asked for"
    )
    # A verified upload (intake's POST /v1/uploads; the object is materials/<upload_id> in the
    # bucket of docs/archive.md): sha256, size and media_type are what intake measured.
    upload_id: str | None = Field(None, pattern=r"^up-[A-Za-z0-9_-]{16,64}$")
    media_type: str | None = Field(None, max_length=100)


class DocumentRef(Frozen):
    """An object the platform made and stored (docs/archive.md): where it is and what it hashes
    to; never what it says (the object holds the personal data, the event only the reference)."""

    key: str = Field(
        pattern=r"^(documents|archive)/[A-Za-z0-9][A-Za-z0-9_./-]{0,250}$",
        examples=["documents/500000-20260302-000042/decision-approved.pdf"],
    )
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    size: int = Field(ge=0)


class StagePlanEntry(Frozen):
    stage: StageKind
    name: str
    limit: Limit
    departments: list[str] = Field(min_length=1)
    parallel_mode: ParallelMode = ParallelMode.ALL
    required_role: str = "handler"


class CreditCheck(Frozen):
    level: str | None = None
    black_list: bool = False
    red_list: bool = False
    skipped: bool = Field(False, description="the credit service was not asked or not reached")
    reason: str | None = None
    as_of: AwareDatetime | None = Field(
        None, description="when the standing used was computed (the answer, or the last change)"
    )
    path: str | None = Field(
        None, description="trusted, standard, watched or black_listed (docs/credit.md)"
    )


class OwedMaterial(Frozen):
    code: str
    name: str


class BundleItemOwed(Frozen):
    """What an item accepted with gaps (容缺受理) owed when the bundle was submitted."""

    materials: list[OwedMaterial] = Field(min_length=1)
    due_at: AwareDatetime = Field(description="supplied by then (end of its last working day)")
    due_provisional: bool = Field(
        False, description="due_at reaches a year whose holiday schedule is not yet published"
    )


class BundleItem(Frozen):
    case_id: str
    item_code: str
    item_name: str
    owed: BundleItemOwed | None = Field(
        None, description="accepted with gaps: what the item owed at submission, and by when"
    )


class BundleInfo(Frozen):
    """The bundle (一件事) a case belongs to, as its applicant knows it: what to tell them of
    the bundle as one thing rather than of each case."""

    code: str
    name: str
    items: list[BundleItem] = Field(description="every item's case, in the bundle's order")


JsonObject = dict[str, Any]

__all__ = [
    "CASE_CLOCKS",
    "Applicant",
    "ApplicantKind",
    "AwareDatetime",
    "BundleInfo",
    "BundleItem",
    "BundleItemOwed",
    "Channel",
    "Contact",
    "CreditCheck",
    "DocumentRef",
    "Frozen",
    "JsonObject",
    "Light",
    "Limit",
    "LimitUnit",
    "Material",
    "MaterialForm",
    "OwedMaterial",
    "ParallelMode",
    "RatingLevel",
    "RegionCode",
    "Severity",
    "StageKind",
    "StagePlanEntry",
    "SubjectKind",
    "SubmittedBy",
    "SubmitterKind",
]
