"""HTTP API of bundles (一件事): the catalog's bundle definitions (admin like items), one
submission for a whole bundle, and the bundle tracked as one thing (thin: handlers do it)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response

from services.intake.api import CODE_RESPONSES, Admin, CodeHeader, DepsDep, RatingIn
from services.intake.domain.bundle_submission import BundleSubmissionIn
from services.intake.domain.bundles import Bundle
from services.intake.handlers import bundle_catalog
from services.intake.handlers.bundle_rating import rate_bundle
from services.intake.handlers.bundle_submission import submit_bundle
from services.intake.handlers.bundle_tracking import track_bundle
from shared.auth import OptionalPrincipal

router = APIRouter(prefix="/v1", tags=["bundles"])


@router.get("/catalog/bundles", summary="list bundles (一件事) offered in a region")
async def list_bundles(
    deps: DepsDep, region: str | None = None, include_closed: bool = Query(False)
) -> list[Bundle]:
    return await bundle_catalog.list_bundles(deps, region=region, include_closed=include_closed)


@router.get("/catalog/bundles/{code}", summary="one bundle")
async def get_bundle(deps: DepsDep, code: str) -> Bundle:
    return await bundle_catalog.BUNDLES.one(deps, code)


@router.post("/catalog/bundles", status_code=201, summary="create a bundle (admin)")
async def create_bundle(deps: DepsDep, admin: Admin, bundle: Bundle) -> Bundle:
    return await bundle_catalog.BUNDLES.create(deps, bundle, actor=admin)


@router.put("/catalog/bundles/{code}", summary="replace a bundle definition (admin)")
async def update_bundle(deps: DepsDep, admin: Admin, code: str, bundle: Bundle) -> Bundle:
    return await bundle_catalog.BUNDLES.update(deps, code, bundle, actor=admin)


@router.post("/catalog/bundles/{code}/close", summary="close a bundle to applications (admin)")
async def close_bundle(deps: DepsDep, admin: Admin, code: str) -> Bundle:
    return await bundle_catalog.BUNDLES.close(deps, code, actor=admin)


@router.post(
    "/bundles",
    status_code=201,
    summary="apply for a bundle (一件事): one form, each material once; one case per item",
    responses={
        401: {"description": "no token"},
        403: {"description": "the token may not submit in this applicant's name"},
        422: {"description": "field-level errors (errors: [{field, message}])"},
    },
)
async def submit(
    deps: DepsDep,
    body: BundleSubmissionIn,
    response: Response,
    principal: OptionalPrincipal,
    idempotency_key: Annotated[
        str | None, Header(alias="Idempotency-Key", min_length=8, max_length=128)
    ] = None,
) -> dict[str, Any]:
    result, replayed = await submit_bundle(
        deps, body, principal=principal, idempotency_key=idempotency_key
    )
    if replayed:
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
    return result


@router.get(
    "/bundles/{bundle_id}",
    summary="track a bundle as one thing: overall state, each item's state, what is owed",
    responses=CODE_RESPONSES,
)
async def track(
    deps: DepsDep, bundle_id: str, principal: OptionalPrincipal, code_header: CodeHeader = None
) -> dict[str, Any]:
    return await track_bundle(deps, bundle_id, code=code_header, principal=principal)


@router.post(
    "/bundles/{bundle_id}/rating",
    status_code=201,
    summary="rate a finished bundle once, as one thing (好差评)",
    responses={
        **CODE_RESPONSES,
        403: {"description": "an officer's token: officers never rate for the applicant"},
        409: {"description": "not finished yet, or already rated (field bundle_id)"},
    },
)
async def rate(
    deps: DepsDep,
    bundle_id: str,
    body: RatingIn,
    principal: OptionalPrincipal,
    code_header: CodeHeader = None,
) -> dict[str, Any]:
    return await rate_bundle(
        deps,
        bundle_id,
        level=body.level,
        scores=body.scores,
        comment=body.comment,
        code=body.verification_code or code_header,
        principal=principal,
    )
