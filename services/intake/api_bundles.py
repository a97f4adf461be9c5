"""HTTP API of bundles (一件事): the catalog's bundle definitions (admin like items), one
submission for a whole bundle, and the bundle tracked as one thing (thin: handlers do it)."""

from __future__ import annotations

from fastapi import APIRouter, Query

from services.intake.api import Admin, DepsDep
from services.intake.domain.bundles import Bundle
from services.intake.handlers import bundle_catalog

router = APIRouter(prefix="/v1", tags=["bundles"])


@router.get("/catalog/bundles", summary="list bundles (一件事) offered in a region")
async def list_bundles(
    deps: DepsDep, region: str | None = None, include_closed: bool = Query(False)
) -> list[Bundle]:
    return await bundle_catalog.list_bundles(deps, region=region, include_closed=include_closed)


@router.get("/catalog/bundles/{code}", summary="one bundle")
async def get_bundle(deps: DepsDep, code: str) -> Bundle:
    return await bundle_catalog.get_bundle(deps, code)


@router.post("/catalog/bundles", status_code=201, summary="create a bundle (admin)")
async def create_bundle(deps: DepsDep, admin: Admin, bundle: Bundle) -> Bundle:
    return await bundle_catalog.create_bundle(deps, bundle, actor=admin)


@router.put("/catalog/bundles/{code}", summary="replace a bundle definition (admin)")
async def update_bundle(deps: DepsDep, admin: Admin, code: str, bundle: Bundle) -> Bundle:
    return await bundle_catalog.update_bundle(deps, code, bundle, actor=admin)


@router.post("/catalog/bundles/{code}/close", summary="close a bundle to applications (admin)")
async def close_bundle(deps: DepsDep, admin: Admin, code: str) -> Bundle:
    return await bundle_catalog.close_bundle(deps, code, actor=admin)
