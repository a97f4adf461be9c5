"""A submission's uploaded materials: each names a verified upload of the same applicant
(``materials[].upload_id``), whose measured hash, size and type replace anything declared; the
old declared-hash form only where ``EGOV_DECLARED_UPLOAD_HASHES`` allows it. A registered case
claims its uploads, so none expires or serves a second case."""

from __future__ import annotations

from datetime import timedelta

from services.intake.domain import CaseRecord, FieldError, Invalid, Submission
from services.intake.domain.bundles import Bundle
from services.intake.domain.uploads import as_material, reference_errors
from services.intake.handlers.deps import Deps
from shared.contracts import Material, MaterialForm

DECLARED_REFUSED = (
    "an upload is named by its verified upload id (POST /v1/uploads); a declared hash alone "
    "is not accepted"
)


async def resolve_uploads(deps: Deps, sub: Submission) -> tuple[Submission, list[FieldError]]:
    materials, errors = await resolve_materials(
        deps, sub.materials, owner_id=sub.applicant.id_number, item_code=sub.item_code
    )
    return sub.model_copy(update={"materials": materials}), errors


async def resolve_materials(
    deps: Deps, given: list[Material], *, owner_id: str, item_code: str
) -> tuple[list[Material], list[FieldError]]:
    """The materials with each named upload's measured hash, size and type, and the field errors
    of those that may not be used (also for supplements: the same rules, the case's applicant).
    A media type is only ever what intake measured: one a client sent is dropped."""
    errors: list[FieldError] = []
    materials: list[Material] = []
    now = deps.clock.now()
    for i, material in enumerate(given):
        where = f"materials.{i}"
        if material.form is not MaterialForm.UPLOAD:
            if material.upload_id is not None:
                errors.append(FieldError(f"{where}.upload_id", "only an upload has an upload id"))
            materials.append(material.model_copy(update={"media_type": None}))
        elif material.upload_id is None:
            if not deps.settings.declared_hashes_allowed:
                errors.append(FieldError(f"{where}.upload_id", DECLARED_REFUSED))
            materials.append(material.model_copy(update={"media_type": None}))
        else:
            upload = await deps.uploads.get(material.upload_id)
            found = reference_errors(
                upload, material, where, owner_id=owner_id, item_code=item_code, now=now
            )
            errors += found
            ok = upload is not None and not found
            materials.append(as_material(material, upload) if ok and upload else material)
    return materials, errors


async def claim_uploads(deps: Deps, sub: Submission, case_id: str) -> None:
    await claim_materials(deps, sub.materials, owner_id=sub.applicant.id_number, case_id=case_id)


async def claim_materials(
    deps: Deps, materials: list[Material], *, owner_id: str, case_id: str
) -> None:
    """Make the case the owner of its uploads, all or none (422 when one was taken or expired
    since it was checked)."""
    claimed: list[str] = []
    now = deps.clock.now()
    for i, material in enumerate(materials):
        if material.upload_id is None:
            continue
        if not await deps.uploads.claim(
            material.upload_id, owner_id=owner_id, case_id=case_id, now=now
        ):
            await release_uploads(deps, claimed, case_id)
            message = "this upload is already part of another case, or expired"
            raise Invalid(
                "the submission is not valid", [FieldError(f"materials.{i}.upload_id", message)]
            )
        claimed.append(material.upload_id)


async def supplement_materials(
    deps: Deps, case: CaseRecord, given: list[Material]
) -> list[Material]:
    """A supplement's materials (补正) resolved and claimed for the case like a submission's."""
    owner = case.applicant.id_number
    materials, errors = await resolve_materials(
        deps, given, owner_id=owner, item_code=case.item_code
    )
    if errors:
        raise Invalid("the supplement is not valid", errors)
    await claim_materials(deps, materials, owner_id=owner, case_id=case.case_id)
    return materials


async def release_uploads(deps: Deps, upload_ids: list[str], case_id: str) -> None:
    """A case that was not registered after all gives its uploads back."""
    expires_at = deps.clock.now() + timedelta(hours=deps.settings.upload_unreferenced_ttl_hours)
    for upload_id in upload_ids:
        await deps.uploads.release(upload_id, case_id=case_id, expires_at=expires_at)


def upload_ids(materials: list[Material]) -> list[str]:
    return [m.upload_id for m in materials if m.upload_id is not None]


async def resolve_bundle_uploads(
    deps: Deps, bundle: Bundle, given: list[Material], *, owner_id: str
) -> tuple[list[Material], list[FieldError]]:
    """Uploads resolved once, against the first item material each bundle material maps to
    (an upload slot is asked for that item and material); the other items share it."""
    asked = {m.code: m for m in bundle.materials}
    resolved: list[Material] = []
    errors: list[FieldError] = []
    for i, material in enumerate(given):
        spec = asked.get(material.code)
        if spec is None or not spec.maps_to or material.form is not MaterialForm.UPLOAD:
            resolved.append(material)
            continue
        first = spec.maps_to[0]
        as_item = material.model_copy(update={"code": first.material})
        found, errs = await resolve_materials(
            deps, [as_item], owner_id=owner_id, item_code=first.item_code
        )
        resolved.append(found[0].model_copy(update={"code": material.code}))
        errors += [
            FieldError(e.field.replace("materials.0", f"materials.{i}"), e.message) for e in errs
        ]
    return resolved, errors


async def claim_bundle_uploads(
    deps: Deps,
    bundle: Bundle,
    uploads: list[Material],
    cases: list[CaseRecord],
    *,
    owner_id: str,
) -> dict[str, list[str]]:
    """Each upload is claimed by the case of the first item its material maps to."""
    first = {m.code: m.maps_to[0].item_code for m in bundle.materials if m.maps_to}
    case_of = {c.item_code: c.case_id for c in cases}
    claimed: dict[str, list[str]] = {}
    for material in uploads:
        if material.upload_id is None:
            continue
        case_id = case_of[first[material.code]]
        await claim_materials(deps, [material], owner_id=owner_id, case_id=case_id)
        claimed.setdefault(case_id, []).append(material.upload_id)
    return claimed
