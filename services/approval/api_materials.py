"""HTTP API of officers' access to a case's uploaded materials (thin)."""

from __future__ import annotations

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse

from services.approval.api import deps_of
from services.approval.handlers import material_download, officer_of, visible_case
from shared.auth import CurrentPrincipal

router = APIRouter(prefix="/v1", tags=["approval"])


@router.post(
    "/cases/{case_id}/materials/{code}/download",
    summary="a short-lived URL to read an uploaded material; the fetch is recorded on the "
    "case's timeline",
    responses={
        403: {"description": "not an officer working this case"},
        404: {"description": "no such case (or not visible), material, or uploaded file"},
    },
)
async def download(
    case_id: str,
    request: Request,
    principal: CurrentPrincipal,
    code: str = Path(max_length=60),
) -> JSONResponse:
    officer = officer_of(principal)
    deps = deps_of(request)
    await visible_case(deps, case_id, principal)
    body = await material_download(deps, case_id=case_id, code=code, officer=officer)
    return JSONResponse(body, headers={"Cache-Control": "no-store"})
