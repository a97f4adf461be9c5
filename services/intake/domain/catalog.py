"""The service catalog (事项目录 / 实施清单): what an item is and when a definition is valid."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.intake.domain.errors import FieldError
from services.intake.domain.licences import LicenceSpec
from services.intake.domain.owed_rules import GapsRule
from shared.calendar import DEFAULT_OFFICE_HOURS, Limit, LimitUnit
from shared.contracts.common import MaterialForm, RegionCode, StageKind, StagePlanEntry

# Pre-review is opened by the approval service for every case; it is never part of a plan.
PLAN_STAGE_KINDS = frozenset(
    {StageKind.ACCEPT, StageKind.REVIEW, StageKind.DECIDE, StageKind.DELIVER}
)
# How long a finished case's dossier is kept unless its catalog entry says otherwise: licences
# are kept as long as the records of what they permit (30 years), other cases 10.
DEFAULT_RETENTION_YEARS = 10
LICENCE_RETENTION_YEARS = 30


class FileType(StrEnum):
    """The kinds of file an uploaded material may be, told from its bytes (never its name)."""

    PDF = "pdf"
    JPEG = "jpeg"
    PNG = "png"
    OFD = "ofd"  # 版式文档, GB/T 33190-2016: a ZIP package with OFD.xml at its root


MEDIA_TYPES: Mapping[FileType, str] = {
    FileType.PDF: "application/pdf",
    FileType.JPEG: "image/jpeg",
    FileType.PNG: "image/png",
    FileType.OFD: "application/ofd",
}


class ItemStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class MaterialSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(pattern=r"^[a-z0-9_]{1,60}$")
    name: str = Field(min_length=1, max_length=200)
    required: bool = True
    key: bool = Field(True, description="a key material may never be missing, even with gaps")
    forms: list[MaterialForm] = Field(
        default_factory=lambda: [MaterialForm.UPLOAD, MaterialForm.ELICENSE], min_length=1
    )
    licence_type: str | None = Field(None, description="e-licence type accepted for it")
    file_types: list[FileType] = Field(
        default_factory=lambda: [FileType.PDF, FileType.JPEG, FileType.PNG],
        min_length=1,
        description="kinds of file an upload of it may be (OFD only where listed)",
    )


class ServiceItem(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(pattern=r"^\d{6}-[A-Z]{2,6}-\d{3}$", examples=["500000-SCJ-001"])
    version: int = Field(1, ge=1)
    name: str = Field(min_length=1, max_length=200)
    name_en: str = ""
    department: str
    region: RegionCode
    handling_level: Literal["province", "municipal", "district", "township"] = "municipal"
    legal_basis: str = Field(min_length=1, max_length=2000)
    statutory_limit: Limit
    promised_limit: Limit
    stage_plan: list[StagePlanEntry]
    materials: list[MaterialSpec] = Field(default_factory=list)
    fee_yuan: float = Field(0, ge=0)
    service_type: Literal["immediate", "promised"] = Field(
        "promised",
        description="immediate (即办件): decided at once when complete; promised (承诺件): "
        "within the promised limit",
    )
    visits_required: int = Field(
        1, ge=0, le=5, description="visits to a hall the applicant must make (0: 零跑动)"
    )
    fully_online: bool = Field(False, description="can be done end to end online (全程网办)")
    cross_region: bool = False
    handling_regions: list[RegionCode] = Field(
        default_factory=list, description="regions whose windows may receive a cross-region case"
    )
    commitment_allowed: bool = False
    accept_with_gaps_allowed: bool = False
    gaps: GapsRule = Field(
        default_factory=GapsRule, description="accept-with-gaps: deadline, hold, consequence"
    )
    issues_licence: LicenceSpec | None = Field(
        None, description="the e-licence an approval issues into the registry (电子证照)"
    )
    retention_years: int | None = Field(
        None,
        ge=1,
        le=100,
        description="years a finished case's sealed dossier is kept (docs/archive.md); unset: "
        f"{LICENCE_RETENTION_YEARS} for an item that issues a licence, else "
        f"{DEFAULT_RETENTION_YEARS}",
    )
    status: ItemStatus = ItemStatus.OPEN
    suspension_max_working_days: dict[
        Literal["hearing", "expert_review", "testing", "onsite_survey"], int
    ] = Field(
        default_factory=dict,
        description="this item's maximum per special procedure (else the platform's policy)",
    )
    supplement_max_working_days: int | None = Field(
        None, ge=1, le=120, description="the applicant's time to supplement for this item"
    )
    stage_limits: Literal["within_promised", "shared"] = Field(
        "within_promised",
        description="within_promised: the stages after acceptance add up to no more than the "
        "promised limit; shared: they are internal targets that run against the case's own "
        "promised limit, which is supervised in its own right",
    )

    @property
    def retention(self) -> int:
        """Years the dossier is kept: the catalog's, else the default of its kind."""
        if self.retention_years is not None:
            return self.retention_years
        return LICENCE_RETENTION_YEARS if self.issues_licence else DEFAULT_RETENTION_YEARS

    @property
    def required_materials(self) -> list[str]:
        return [m.code for m in self.materials if m.required]

    def material(self, code: str) -> MaterialSpec | None:
        return next((m for m in self.materials if m.code == code), None)


# The official office day (shared.calendar.DEFAULT_OFFICE_HOURS): 7 hours.
OFFICE_HOURS_PER_DAY = sum(
    (end.hour + end.minute / 60) - (start.hour + start.minute / 60)
    for start, end in DEFAULT_OFFICE_HOURS
)


def approx_working_days(limit: Limit) -> float:
    """Rough common measure to compare limits stated in different units."""
    match limit.unit:
        case LimitUnit.WORKING_DAYS:
            return float(limit.value)
        case LimitUnit.NATURAL_DAYS:
            return limit.value * 5 / 7
        case LimitUnit.WORKING_HOURS:
            return limit.value / OFFICE_HOURS_PER_DAY
    raise ValueError(limit.unit)  # pragma: no cover


def promised_exceeds_statutory(promised: Limit, statutory: Limit) -> bool:
    if promised.unit == statutory.unit:
        return promised.value > statutory.value
    return approx_working_days(promised) > approx_working_days(statutory)


def stage_plan_fits(item: ServiceItem) -> list[FieldError]:
    """Stage limits divide the promised limit and must fit inside it (a parallel step counts
    once), unless the item says the stages share it (its own clock is then what binds)."""
    if item.stage_limits == "shared" or not item.stage_plan:
        return []
    counted = item.stage_plan
    total = sum(approx_working_days(entry.limit) for entry in counted)
    if total <= approx_working_days(item.promised_limit) + 1e-9:
        return []
    parts = " + ".join(f"{e.stage.value} {_limit_text(e.limit)}" for e in counted)
    return [
        FieldError(
            "stage_plan",
            f"the stages add up to {total:.3g} working days ({parts}), more "
            f"than the promised limit of {_limit_text(item.promised_limit)}: shorten them, or "
            "set stage_limits: shared to supervise them against the case's promised limit",
        )
    ]


def catalog_errors(
    item: ServiceItem, departments: Mapping[str, str], regions: Mapping[str, str]
) -> list[FieldError]:
    """Why ``item`` is not a valid definition (empty when it is).

    ``departments`` maps department code -> region code, ``regions`` region code -> name.
    """
    return [
        *_identity_errors(item, departments, regions),
        *_plan_errors(item, departments),
        *stage_plan_fits(item),
        *_material_spec_errors(item),
        *_region_list_errors(item, regions),
        *(
            [FieldError("visits_required", "a fully online item (全程网办) requires no visit")]
            if item.fully_online and item.visits_required
            else []
        ),
    ]


def _identity_errors(
    item: ServiceItem, departments: Mapping[str, str], regions: Mapping[str, str]
) -> list[FieldError]:
    """Region, department (of that region), code prefix, promised within statutory limit."""
    errors: list[FieldError] = []
    if item.region not in regions:
        errors.append(FieldError("region", f"unknown region {item.region!r}"))
    dept_region = departments.get(item.department)
    if dept_region is None:
        errors.append(FieldError("department", f"unknown department {item.department!r}"))
    elif dept_region != item.region:
        errors.append(
            FieldError(
                "department",
                f"{item.department} belongs to region {dept_region}, "
                f"not to the item's region {item.region}",
            )
        )
    if not item.code.startswith(item.department + "-"):
        errors.append(
            FieldError("code", f"the code must start with the department code {item.department}-")
        )
    if promised_exceeds_statutory(item.promised_limit, item.statutory_limit):
        errors.append(
            FieldError(
                "promised_limit",
                f"the promised limit ({_limit_text(item.promised_limit)}) "
                f"exceeds the statutory limit ({_limit_text(item.statutory_limit)})",
            )
        )
    return errors


def _plan_errors(item: ServiceItem, departments: Mapping[str, str]) -> list[FieldError]:
    """At least one stage; plan stage kinds only; known departments, each once per stage."""
    errors: list[FieldError] = []
    if not item.stage_plan:
        errors.append(
            FieldError("stage_plan", "the stage plan has no stage; at least one is needed")
        )
    for i, entry in enumerate(item.stage_plan):
        if entry.stage not in PLAN_STAGE_KINDS:
            errors.append(
                FieldError(
                    f"stage_plan.{i}.stage",
                    f"{entry.stage.value!r} is not a plan stage; "
                    "use accept, review, decide or deliver (pre-review is automatic)",
                )
            )
        for j, dept in enumerate(entry.departments):
            if dept not in departments:
                errors.append(
                    FieldError(f"stage_plan.{i}.departments.{j}", f"unknown department {dept!r}")
                )
        if len(set(entry.departments)) != len(entry.departments):
            errors.append(FieldError(f"stage_plan.{i}.departments", "a department is listed twice"))
    return errors


def _material_spec_errors(item: ServiceItem) -> list[FieldError]:
    """Material codes once each; a commitment offered only where the item allows one."""
    errors: list[FieldError] = []
    seen: set[str] = set()
    for i, spec in enumerate(item.materials):
        if spec.code in seen:
            errors.append(
                FieldError(f"materials.{i}.code", f"duplicate material code {spec.code!r}")
            )
        seen.add(spec.code)
        if MaterialForm.COMMITMENT in spec.forms and not item.commitment_allowed:
            errors.append(
                FieldError(
                    f"materials.{i}.forms",
                    "a commitment is offered for this material but "
                    "the item does not allow the commitment system (commitment_allowed)",
                )
            )
    return errors


def _region_list_errors(item: ServiceItem, regions: Mapping[str, str]) -> list[FieldError]:
    """A cross-region item lists known receiving regions; any other lists none but its own."""
    errors: list[FieldError] = []
    if item.cross_region:
        if not item.handling_regions:
            errors.append(
                FieldError(
                    "handling_regions", "a cross-region item lists the regions that may receive it"
                )
            )
        for i, region in enumerate(item.handling_regions):
            if region not in regions:
                errors.append(FieldError(f"handling_regions.{i}", f"unknown region {region!r}"))
    elif any(r != item.region for r in item.handling_regions):
        errors.append(
            FieldError("handling_regions", "other regions are listed but cross_region is false")
        )
    return errors


def _limit_text(limit: Limit) -> str:
    return f"{limit.value} {limit.unit.value.replace('_', ' ')}"
