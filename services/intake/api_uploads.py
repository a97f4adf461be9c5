"""HTTP API of uploads (thin: validates input, calls handlers/uploads.py)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from services.intake.api import DepsDep
from services.intake.domain.uploads import UploadSlotIn
from services.intake.handlers import uploads
from shared.auth import OptionalPrincipal

router = APIRouter(prefix="/v1", tags=["uploads"])

RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "no token"},
    403: {"description": "the token may not act in this applicant's name"},
    422: {"description": "field-level errors (errors: [{field, message}])"},
    503: {"description": "the object store does not answer; see Retry-After"},
}


@router.post(
    "/uploads",
    status_code=201,
    summary="an upload slot: a short-lived pre-signed PUT URL for one material",
    responses=RESPONSES,
)
async def open_slot(
    deps: DepsDep, body: UploadSlotIn, principal: OptionalPrincipal
) -> dict[str, Any]:
    return await uploads.open_upload_slot(deps, body, principal=principal)


@router.post(
    "/uploads/{upload_id}/verify",
    summary="after the PUT: intake reads the object and records it as verified, or rejects it",
    responses=RESPONSES,
)
async def verify(deps: DepsDep, upload_id: str, principal: OptionalPrincipal) -> dict[str, Any]:
    return await uploads.verify_upload(deps, upload_id, principal=principal)


@router.get("/uploads/{upload_id}", summary="an upload's state", responses=RESPONSES)
async def get_upload(deps: DepsDep, upload_id: str, principal: OptionalPrincipal) -> dict[str, Any]:
    return uploads.upload_view(await uploads.find_upload(deps, upload_id, principal))
