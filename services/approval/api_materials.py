"""HTTP API of officers' access to a case's uploaded materials and of the archive's legal
holds (thin)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from services.approval.api import deps_of
from services.approval.domain import Forbidden
from services.approval.handlers import legal_hold, material_download, officer_of, visible_case
from shared.auth import CurrentPrincipal, Principal
from shared.roles import Role

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


class LegalHoldIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500, description="why nothing may be deleted")


def _admin(principal: Principal) -> str:
    if Role.ADMIN not in principal.roles:
        raise Forbidden("only an administrator may put or lift a legal hold")
    return principal.subject


@router.put(
    "/cases/{case_id}/legal-hold",
    summary="put the sealed dossier on legal hold: the retention sweep deletes nothing of it",
    responses={
        403: {"description": "not an administrator"},
        404: {"description": "no such case"},
        409: {"description": "the dossier is not sealed yet, or was deleted"},
        422: {"description": "no reason"},
    },
)
async def put_hold(
    case_id: Annotated[str, Path(max_length=64)],
    body: LegalHoldIn,
    request: Request,
    principal: CurrentPrincipal,
) -> dict[str, Any]:
    case = await legal_hold(
        deps_of(request), case_id, reason=body.reason.strip(), actor=_admin(principal)
    )
    assert case.archive is not None
    return {"case_id": case_id, "archive": case.archive.model_dump(mode="json")}


@router.delete(
    "/cases/{case_id}/legal-hold",
    summary="lift the legal hold: the dossier is kept to its retention again",
    responses={403: {"description": "not an administrator"}, 404: {"description": "no case"}},
)
async def lift_hold(
    case_id: Annotated[str, Path(max_length=64)], request: Request, principal: CurrentPrincipal
) -> dict[str, Any]:
    case = await legal_hold(deps_of(request), case_id, reason=None, actor=_admin(principal))
    assert case.archive is not None
    return {"case_id": case_id, "archive": case.archive.model_dump(mode="json")}
