"""The item's rules applied to a submission: regions, materials in their forms, required
materials and accept-with-gaps (容缺受理). Pure; the credit check comes after (domain/credit.py)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from services.intake.domain.catalog import ServiceItem
from services.intake.domain.errors import FieldError
from services.intake.domain.submission import Submission, applicant_id_error
from shared.contracts.common import Material, MaterialForm


class Assessment(BaseModel):
    """What the item's rules concluded about a submission (before the credit check)."""

    model_config = ConfigDict(frozen=True)

    handling_region: str
    commitment_used: bool
    missing: list[str]
    gaps_used: bool

    @property
    def needs_credit_check(self) -> bool:
        return self.commitment_used or self.gaps_used


def assess_submission(
    item: ServiceItem,
    sub: Submission,
    *,
    known_regions: set[str] | frozenset[str],
    max_material_bytes: int,
) -> tuple[Assessment, list[FieldError]]:
    """Apply the item's rules: regions, material forms, required materials, accept-with-gaps."""
    errors: list[FieldError] = []
    id_error = applicant_id_error(sub.applicant.kind, sub.applicant.id_number)
    if id_error is not None:
        errors.append(FieldError("applicant.id_number", id_error))
    handling = sub.handling_region or item.region
    errors += _region_errors(item, sub, handling, known_regions)
    given, commitment_used, material_errors = _material_errors(item, sub, max_material_bytes)
    errors += material_errors
    missing = [code for code in item.required_materials if code not in given]
    gaps_used, gap_errors = _gap_errors(item, sub, missing)
    errors += gap_errors
    assessment = Assessment(
        handling_region=handling,
        commitment_used=commitment_used,
        missing=missing,
        gaps_used=gaps_used,
    )
    return assessment, errors


def _region_errors(
    item: ServiceItem, sub: Submission, handling: str, known_regions: set[str] | frozenset[str]
) -> list[FieldError]:
    """Receiving and handling regions: the item's own, or another where it may be received."""
    errors: list[FieldError] = []
    if sub.receiving_region not in known_regions:
        errors.append(FieldError("receiving_region", f"unknown region {sub.receiving_region!r}"))
    if handling != item.region:
        errors.append(
            FieldError(
                "handling_region",
                f"item {item.code} is handled in region {item.region}, not {handling}",
            )
        )
    if sub.receiving_region == handling or sub.receiving_region not in known_regions:
        return errors
    if not item.cross_region:
        errors.append(
            FieldError(
                "receiving_region",
                f"item {item.code} cannot be handled "
                "cross-region (跨省通办); apply in region " + item.region,
            )
        )
    elif item.handling_regions and sub.receiving_region not in item.handling_regions:
        errors.append(
            FieldError(
                "receiving_region",
                f"region {sub.receiving_region} is not "
                f"among the regions that may receive item {item.code}",
            )
        )
    return errors


def _material_errors(
    item: ServiceItem, sub: Submission, max_material_bytes: int
) -> tuple[set[str], bool, list[FieldError]]:
    """Each material given: one of the item's, once, in a form it accepts, complete for that
    form. Returns the codes given, whether a written commitment was used, and the errors."""
    errors: list[FieldError] = []
    commitment_used = False
    given: set[str] = set()
    for i, material in enumerate(sub.materials):
        where = f"materials.{i}"
        spec = item.material(material.code)
        if spec is None:
            errors.append(
                FieldError(
                    f"{where}.code", f"{material.code!r} is not a material of item {item.code}"
                )
            )
            continue
        if material.code in given:
            errors.append(FieldError(f"{where}.code", f"material {material.code!r} given twice"))
        given.add(material.code)
        if material.form not in spec.forms:
            allowed = ", ".join(f.value for f in spec.forms)
            errors.append(
                FieldError(
                    f"{where}.form",
                    f"{spec.name} is accepted as {allowed}, not as {material.form.value}",
                )
            )
            continue
        errors += _form_errors(item, material, where, max_material_bytes)
        commitment_used = commitment_used or material.form == MaterialForm.COMMITMENT
    return given, commitment_used, errors


def _form_errors(
    item: ServiceItem, material: Material, where: str, max_material_bytes: int
) -> list[FieldError]:
    """What a material in its form must carry: an upload its hash and size within the limit (or
    a verified upload id), an e-licence its reference, a commitment an item that accepts one."""
    match material.form:
        case MaterialForm.UPLOAD:
            # A named upload was checked against what intake measured (handlers/materials).
            if material.upload_id is not None:
                return []
            if material.sha256 is None or material.size is None:
                return [FieldError(where, "an upload needs its sha256 and size")]
            if material.size > max_material_bytes:
                return [
                    FieldError(
                        f"{where}.size",
                        f"{material.size} bytes is more than "
                        f"the {max_material_bytes} bytes allowed",
                    )
                ]
        case MaterialForm.ELICENSE:
            if not material.licence_ref:
                return [FieldError(f"{where}.licence_ref", "an e-licence reference is needed")]
        case MaterialForm.COMMITMENT:
            if not item.commitment_allowed:
                return [
                    FieldError(
                        f"{where}.form",
                        f"item {item.code} does not accept written commitments (告知承诺制)",
                    )
                ]
    return []


def _gap_errors(
    item: ServiceItem, sub: Submission, missing: list[str]
) -> tuple[bool, list[FieldError]]:
    """Missing required materials: a key one refuses the case; others only with accept-with-gaps
    (容缺受理) asked for and allowed by the item. Returns whether gaps are used, and the errors."""
    errors: list[FieldError] = []
    gaps_used = False
    missing_key = [code for code in missing if _spec_key(item, code)]
    if missing_key:
        names = ", ".join(_spec_name(item, c) for c in missing_key)
        errors.append(FieldError("materials", f"missing required material(s): {names}"))
    elif missing:
        names = ", ".join(_spec_name(item, c) for c in missing)
        if not sub.accept_with_gaps:
            errors.append(
                FieldError(
                    "materials",
                    f"missing required material(s): {names}; ask "
                    "for accept-with-gaps (容缺受理) if the item allows it",
                )
            )
        elif not item.accept_with_gaps_allowed:
            errors.append(
                FieldError(
                    "accept_with_gaps",
                    f"item {item.code} does not allow accept-with-gaps; missing: {names}",
                )
            )
        else:
            gaps_used = True
    if sub.accept_with_gaps and not item.accept_with_gaps_allowed and not missing:
        errors.append(
            FieldError(
                "accept_with_gaps", f"item {item.code} does not allow accept-with-gaps (容缺受理)"
            )
        )
    return gaps_used, errors


def _spec_key(item: ServiceItem, code: str) -> bool:
    spec = item.material(code)
    return spec is not None and spec.key


def _spec_name(item: ServiceItem, code: str) -> str:
    spec = item.material(code)
    return f"{spec.name} ({code})" if spec else code
