"""HTTP API of officers' access to a case's uploaded materials (thin)."""

from __future__ import annotations

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse

from services.approval.api import _can_see, _deps, _error, _officer
from services.approval.domain import ApprovalError
from services.approval.downloads import material_download
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
    officer = _officer(principal)
    deps = _deps(request)
    case = await deps.store.get(case_id)
    if case is None or not _can_see(principal, case):
        return JSONResponse({"detail": f"no case {case_id}"}, 404)
    try:
        body = await material_download(deps, case_id=case_id, code=code, officer=officer)
    except ApprovalError as exc:
        return _error(exc)
    return JSONResponse(body, headers={"Cache-Control": "no-store"})
