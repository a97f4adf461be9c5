"""Uploads (docs/archive.md): the applicant, or a window officer for them, gets a slot with a
pre-signed PUT; intake then reads the object itself and records it as verified, or rejects and
deletes it; uploads no case refers to expire."""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from typing import Any

from services.intake.domain import FieldError, Invalid, NotFound
from services.intake.domain.catalog import MEDIA_TYPES
from services.intake.domain.errors import Unavailable
from services.intake.domain.identity import AUTH_FIELD, Unauthenticated
from services.intake.domain.submission import check_item_open
from services.intake.domain.uploads import (
    Upload,
    UploadSlotIn,
    UploadStatus,
    new_upload,
    slot_errors,
    verification_errors,
)
from services.intake.handlers.access import submitted_by
from services.intake.handlers.deps import Deps
from services.intake.metrics import UPLOADED_BYTES, UPLOADS
from services.intake.sniff import measure
from shared.auth import Principal
from shared.contracts import Applicant
from shared.objectstore import ObjectMissing, ObjectStoreUnavailable, material_key
from shared.objectstore.layout import UPLOAD_ID_RE

log = logging.getLogger(__name__)

RETRY_AFTER_S = 30


def unavailable(error: ObjectStoreUnavailable) -> Unavailable:
    log.warning("object store unavailable: %s", error)
    UPLOADS.labels("unavailable", "").inc()
    return Unavailable(
        "the object store does not answer; try again shortly", retry_after_s=RETRY_AFTER_S
    )


def _applicant(body: UploadSlotIn, principal: Principal | None) -> Applicant | None:
    if body.applicant is not None:
        return body.applicant.to_applicant()
    real = principal.real_name if principal is not None else None
    if real is None:
        return None
    return Applicant(kind=real.kind, id_number=real.id_number, name=real.name)


async def _presign_put(deps: Deps, upload_id: str, *, size: int, content_type: str) -> str:
    """The slot's pre-signed PUT URL; a store that does not answer is a 503 with a retry hint."""
    try:
        return await deps.objects.presign_put(
            material_key(upload_id),
            size=size,
            content_type=content_type,
            expires=timedelta(seconds=deps.settings.upload_slot_ttl_s),
        )
    except ObjectStoreUnavailable as error:
        raise unavailable(error) from error


async def open_upload_slot(
    deps: Deps, body: UploadSlotIn, *, principal: Principal | None
) -> dict[str, Any]:
    """``POST /v1/uploads``: whoever may submit in the applicant's name may upload for them."""
    item = await deps.store.get_item(body.item_code)
    if item is None:
        raise NotFound(
            f"unknown item {body.item_code!r}", [FieldError("item_code", "not in the catalog")]
        )
    check_item_open(item)
    if principal is None:
        raise Unauthenticated(
            "sign in: an upload needs the token of someone who may submit for the applicant",
            [FieldError(AUTH_FIELD, "missing bearer token")],
        )
    applicant = _applicant(body, principal)
    if applicant is None:
        raise Invalid("whose material?", [FieldError("applicant", "needed with this token")])
    by = await submitted_by(
        deps,
        principal,
        applicant=applicant,
        channel=body.channel,
        receiving_region=body.receiving_region or item.region,
        item_code=item.code,
    )
    errors = slot_errors(item, body, max_bytes=deps.settings.max_material_bytes)
    if errors:
        raise Invalid(f"no upload slot for material {body.material_code}", errors)
    settings = deps.settings
    upload = new_upload(
        "up-" + secrets.token_urlsafe(24),
        body,
        owner_id=applicant.id_number,
        created_by=by,
        now=deps.clock.now(),
        slot_ttl=timedelta(seconds=settings.upload_slot_ttl_s),
        keep_unreferenced=timedelta(hours=settings.upload_unreferenced_ttl_hours),
    )
    content_type = MEDIA_TYPES[body.file_type]
    url = await _presign_put(deps, upload.upload_id, size=body.size, content_type=content_type)
    await deps.uploads.insert(upload)
    UPLOADS.labels("slot", body.file_type.value).inc()
    return {
        **upload_view(upload),
        "upload": {
            "method": "PUT",
            "url": url,
            "headers": {"Content-Type": content_type, "Content-Length": str(body.size)},
            "expires_at": upload.slot_expires_at.isoformat(),
        },
        "verify_url": f"/v1/uploads/{upload.upload_id}/verify",
    }


def upload_view(upload: Upload) -> dict[str, Any]:
    view: dict[str, Any] = {
        "upload_id": upload.upload_id,
        "status": upload.status.value,
        "item_code": upload.item_code,
        "material_code": upload.material_code,
        "file_type": (upload.file_type or upload.declared_type).value,
        "size": upload.size if upload.size is not None else upload.declared_size,
        "expires_at": upload.expires_at.isoformat() if upload.expires_at else None,
    }
    if upload.status is UploadStatus.VERIFIED:
        view |= {"sha256": upload.sha256, "media_type": upload.media_type}
    if upload.rejection:
        view["rejection"] = upload.rejection
    return view


async def find_upload(deps: Deps, upload_id: str, principal: Principal | None) -> Upload:
    """The upload, if the caller is its applicant or made its slot; else 404 alike."""
    upload = await deps.uploads.get(upload_id) if UPLOAD_ID_RE.match(upload_id) else None
    if upload is not None and principal is not None:
        real = principal.real_name
        if (real is not None and real.id_number == upload.owner_id) or (
            principal.subject == upload.created_by.subject
        ):
            return upload
    raise NotFound(f"no upload {upload_id}", [FieldError("upload_id", "no such upload")])


async def verify_upload(
    deps: Deps, upload_id: str, *, principal: Principal | None
) -> dict[str, Any]:
    """``POST /v1/uploads/{id}/verify``: read the object, hash and measure it, tell its kind
    from its bytes; a verified upload may be named by a submission, a rejected one is deleted."""
    upload = await find_upload(deps, upload_id, principal)
    if upload.status is UploadStatus.VERIFIED:
        return upload_view(upload)
    if upload.status is UploadStatus.REJECTED:
        raise Invalid(f"upload {upload_id} was rejected", [FieldError("upload_id", _why(upload))])
    now = deps.clock.now()
    key = material_key(upload_id)
    try:
        seen = await measure(deps.objects.read(key), limit=upload.declared_size)
    except ObjectMissing:
        if now >= upload.slot_expires_at:
            message = "the upload slot expired before a file was uploaded; ask for a new one"
        else:
            message = "nothing was uploaded yet: PUT the file to the upload URL first"
        detail = f"upload {upload_id} of material {upload.material_code}: {message}"
        raise Invalid(detail, [FieldError("upload_id", message)]) from None
    except ObjectStoreUnavailable as error:
        raise unavailable(error) from error
    item = await deps.store.get_item(upload.item_code)
    spec = item.material(upload.material_code) if item is not None else None
    accepted = spec.file_types if spec is not None else []
    errors = verification_errors(upload, seen, accepted, max_bytes=deps.settings.max_material_bytes)
    found = {"sha256": seen.sha256, "size": seen.size, "file_type": seen.file_type}
    if errors:
        rejection = "; ".join(f"{e.field}: {e.message}" for e in errors)
        rejected = upload.model_copy(
            update={**found, "status": UploadStatus.REJECTED, "rejection": rejection}
        )
        await _delete_object(deps, key)
        await deps.uploads.settle(rejected)
        UPLOADS.labels("rejected", upload.declared_type.value).inc()
        raise Invalid(f"upload {upload_id} is not the {upload.material_code} it was to be", errors)
    verified = upload.model_copy(
        update={**found, "status": UploadStatus.VERIFIED, "verified_at": now}
    )
    if not await deps.uploads.settle(verified):
        verified = await find_upload(deps, upload_id, principal)  # verified concurrently
    UPLOADS.labels("verified", upload.declared_type.value).inc()
    UPLOADED_BYTES.inc(seen.size)
    log.info("upload %s verified (%s, %d bytes)", upload_id, seen.file_type, seen.size)
    return upload_view(verified)


def _why(upload: Upload) -> str:
    return upload.rejection or "rejected"


async def _delete_object(deps: Deps, key: str) -> None:
    try:
        await deps.objects.delete(key)
    except ObjectStoreUnavailable as error:  # the expiry sweep deletes it later
        log.warning("rejected upload %s not deleted yet: %s", key, error)


async def expire_uploads(deps: Deps, *, limit: int = 200) -> int:
    """Delete the objects of uploads no case referred to before they expired, then forget them."""
    done = 0
    for upload in await deps.uploads.expired(deps.clock.now(), limit=limit):
        try:
            await deps.objects.delete(material_key(upload.upload_id))
        except ObjectStoreUnavailable as error:
            log.warning("upload expiry paused: %s", error)
            break
        await deps.uploads.forget(upload.upload_id)
        UPLOADS.labels("expired", upload.declared_type.value).inc()
        done += 1
    return done
