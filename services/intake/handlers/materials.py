"""A submission's uploaded materials: each names a verified upload of the same applicant
(``materials[].upload_id``), whose measured hash, size and type replace anything declared; the
old declared-hash form only where ``EGOV_DECLARED_UPLOAD_HASHES`` allows it. A registered case
claims its uploads, so none expires or serves a second case."""

from __future__ import annotations

from datetime import timedelta

from services.intake.domain import FieldError, Invalid, Submission
from services.intake.domain.uploads import as_material, reference_errors
from services.intake.handlers.deps import Deps
from shared.contracts import Material, MaterialForm

DECLARED_REFUSED = (
    "an upload is named by its verified upload id (POST /v1/uploads); a declared hash alone "
    "is not accepted"
)


async def resolve_uploads(deps: Deps, sub: Submission) -> tuple[Submission, list[FieldError]]:
    errors: list[FieldError] = []
    materials: list[Material] = []
    now = deps.clock.now()
    for i, material in enumerate(sub.materials):
        where = f"materials.{i}"
        if material.form is not MaterialForm.UPLOAD:
            if material.upload_id is not None:
                errors.append(FieldError(f"{where}.upload_id", "only an upload has an upload id"))
            materials.append(material)
        elif material.upload_id is None:
            if not deps.settings.declared_hashes_allowed:
                errors.append(FieldError(f"{where}.upload_id", DECLARED_REFUSED))
            # Declared, not measured: nothing vouches for a type.
            materials.append(material.model_copy(update={"media_type": None}))
        else:
            upload = await deps.uploads.get(material.upload_id)
            found = reference_errors(
                upload,
                material,
                where,
                owner_id=sub.applicant.id_number,
                item_code=sub.item_code,
                now=now,
            )
            errors += found
            ok = upload is not None and not found
            materials.append(as_material(material, upload) if ok and upload else material)
    return sub.model_copy(update={"materials": materials}), errors


async def claim_uploads(deps: Deps, sub: Submission, case_id: str) -> None:
    """Make the case the owner of its uploads, all or none (422 when one was taken or expired
    since it was checked)."""
    claimed: list[str] = []
    now = deps.clock.now()
    for i, material in enumerate(sub.materials):
        if material.upload_id is None:
            continue
        owner = sub.applicant.id_number
        if not await deps.uploads.claim(
            material.upload_id, owner_id=owner, case_id=case_id, now=now
        ):
            await release_uploads(deps, claimed, case_id)
            message = "this upload is already part of another case, or expired"
            raise Invalid(
                "the submission is not valid", [FieldError(f"materials.{i}.upload_id", message)]
            )
        claimed.append(material.upload_id)


async def release_uploads(deps: Deps, upload_ids: list[str], case_id: str) -> None:
    """A case that was not registered after all gives its uploads back."""
    expires_at = deps.clock.now() + timedelta(hours=deps.settings.upload_unreferenced_ttl_hours)
    for upload_id in upload_ids:
        await deps.uploads.release(upload_id, case_id=case_id, expires_at=expires_at)


def upload_ids(sub: Submission) -> list[str]:
    return [m.upload_id for m in sub.materials if m.upload_id is not None]
