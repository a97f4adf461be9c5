"""Uploaded materials: the slot an applicant gets, what intake found in the object, and when a
submission may refer to it (docs/archive.md). Pure rules: the bytes are read elsewhere."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from services.intake.domain.catalog import MEDIA_TYPES, FileType, ServiceItem
from services.intake.domain.errors import FieldError
from services.intake.domain.submission import ApplicantIn
from shared.contracts.common import Channel, Material, MaterialForm, RegionCode, SubmittedBy


class UploadStatus(StrEnum):
    PENDING = "pending"  # slot given, nothing verified yet
    VERIFIED = "verified"
    REJECTED = "rejected"  # the object was not what it had to be; it has been deleted


class UploadSlotIn(BaseModel):
    """The body of ``POST /v1/uploads``."""

    model_config = ConfigDict(extra="forbid")

    item_code: str = Field(min_length=1, max_length=40)
    material_code: str = Field(min_length=1, max_length=60)
    file_type: FileType = Field(description="what the file is: pdf, jpeg, png or ofd")
    size: int = Field(gt=0, description="bytes; the URL accepts exactly this many")
    applicant: ApplicantIn | None = Field(
        None, description="whose material; default: the signed-in applicant"
    )
    channel: Channel = Channel.WEB
    receiving_region: RegionCode | None = Field(None, description="default: the item's region")


class Observed(BaseModel):
    """What intake measured of an uploaded object."""

    model_config = ConfigDict(frozen=True)

    sha256: str
    size: int
    file_type: FileType | None  # None: none of the kinds a material may be


class Upload(BaseModel):
    model_config = ConfigDict(frozen=True)

    upload_id: str
    owner_id: str  # the applicant's ID number or credit code
    item_code: str
    material_code: str
    declared_type: FileType
    declared_size: int
    created_by: SubmittedBy
    created_at: datetime
    slot_expires_at: datetime
    expires_at: datetime | None  # unreferenced uploads expire; None once a case refers to it
    status: UploadStatus = UploadStatus.PENDING
    sha256: str | None = None
    size: int | None = None
    file_type: FileType | None = None
    verified_at: datetime | None = None
    rejection: str | None = None
    case_id: str | None = None

    @property
    def media_type(self) -> str | None:
        return MEDIA_TYPES[self.file_type] if self.file_type else None


def slot_errors(item: ServiceItem, body: UploadSlotIn, *, max_bytes: int) -> list[FieldError]:
    spec = item.material(body.material_code)
    if spec is None:
        message = f"{body.material_code!r} is not a material of item {item.code}"
        return [FieldError("material_code", message)]
    errors = []
    if MaterialForm.UPLOAD not in spec.forms:
        errors.append(FieldError("material_code", f"{spec.name} is not accepted as an upload"))
    if body.file_type not in spec.file_types:
        errors.append(FieldError("file_type", _types_message(spec.name, spec.file_types)))
    if body.size > max_bytes:
        message = f"{body.size} bytes is more than the {max_bytes} bytes allowed"
        errors.append(FieldError("size", message))
    return errors


def new_upload(
    upload_id: str,
    body: UploadSlotIn,
    *,
    owner_id: str,
    created_by: SubmittedBy,
    now: datetime,
    slot_ttl: timedelta,
    keep_unreferenced: timedelta,
) -> Upload:
    return Upload(
        upload_id=upload_id,
        owner_id=owner_id,
        item_code=body.item_code,
        material_code=body.material_code,
        declared_type=body.file_type,
        declared_size=body.size,
        created_by=created_by,
        created_at=now,
        slot_expires_at=now + slot_ttl,
        expires_at=now + keep_unreferenced,
    )


def verification_errors(
    upload: Upload, seen: Observed, accepted: list[FileType], *, max_bytes: int
) -> list[FieldError]:
    """Why the object is not the material it was uploaded as (nothing: it is)."""
    errors = []
    declared = upload.declared_size
    if seen.size > max_bytes:
        errors.append(FieldError("size", f"more than the {max_bytes} bytes allowed"))
    elif seen.size > declared:  # reading stopped there: the true size is not known
        errors.append(FieldError("size", f"the object is larger than the {declared} declared"))
    elif seen.size < declared:
        message = f"the object has {seen.size} bytes, not the {declared} declared"
        errors.append(FieldError("size", message))
    if seen.file_type is None:
        kinds = ", ".join(t.value.upper() for t in accepted)
        errors.append(FieldError("file_type", f"the bytes are not a {kinds} file"))
    elif seen.file_type != upload.declared_type:
        message = f"the bytes are {seen.file_type.value.upper()}, not the declared "
        errors.append(FieldError("file_type", message + upload.declared_type.value.upper()))
    elif seen.file_type not in accepted:
        errors.append(FieldError("file_type", _types_message(upload.material_code, accepted)))
    return errors


def reference_errors(
    upload: Upload | None,
    material: Material,
    where: str,
    *,
    owner_id: str,
    item_code: str,
    now: datetime,
) -> list[FieldError]:
    """Why a submission's material may not refer to this upload. Another applicant's upload
    answers as an unknown one: upload ids are not to be probed."""
    field = f"{where}.upload_id"
    if upload is None or upload.owner_id != owner_id:
        return [FieldError(field, "no such upload of this applicant")]
    if upload.case_id is not None:
        return [FieldError(field, "this upload is already part of another case")]
    if upload.expires_at is not None and upload.expires_at <= now:
        return [FieldError(field, "this upload expired; upload the file again")]
    if upload.status is UploadStatus.REJECTED:
        return [FieldError(field, f"this upload was rejected: {upload.rejection}")]
    if upload.status is not UploadStatus.VERIFIED:
        return [FieldError(field, "not verified yet: POST /v1/uploads/{id}/verify after the PUT")]
    if (upload.item_code, upload.material_code) != (item_code, material.code):
        what = f"{upload.item_code} / {upload.material_code}"
        return [FieldError(field, f"this upload was made for {what}")]
    if material.sha256 is not None and material.sha256 != upload.sha256:
        return [FieldError(f"{where}.sha256", "does not match the verified upload")]
    if material.size is not None and material.size != upload.size:
        return [FieldError(f"{where}.size", "does not match the verified upload")]
    return []


def as_material(material: Material, upload: Upload) -> Material:
    """The submission's material with what intake measured in place of anything declared."""
    return material.model_copy(
        update={"sha256": upload.sha256, "size": upload.size, "media_type": upload.media_type}
    )


def _types_message(name: str, accepted: list[FileType]) -> str:
    kinds = ", ".join(t.value.upper() for t in accepted)
    return f"{name} is accepted as {kinds} only"
