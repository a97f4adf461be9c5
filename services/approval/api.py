"""HTTP API of the approval service (thin: validates input, calls handlers)."""

from __future__ import annotations

import logging
import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, FastAPI, Header, Query, Request
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from services.approval.domain import (
    Action,
    ActionInput,
    ActionNotAllowed,
    ApprovalError,
    Case,
    Forbidden,
    InvalidAction,
    NotFound,
    StaleVersion,
    allowed_actions,
)
from services.approval.handlers import (
    Deps,
    case_timeline,
    list_tasks,
    officer_of,
    perform_action,
    visible_case,
)
from shared.auth import CurrentPrincipal
from shared.calendar.limits import Limit
from shared.identifiers import mask_document
from shared.objectstore import ObjectStoreUnavailable
from shared.observability.errors import error_response, invalid_field, map_errors

log = logging.getLogger(__name__)
RETRY_AFTER_S = 30

router = APIRouter(prefix="/v1", tags=["approval"])


class ActionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int | None = Field(None, ge=0, description="expected case version (or If-Match)")
    reasons: list[Annotated[str, Field(min_length=1, max_length=500)]] = Field(
        default_factory=list, max_length=50
    )
    legal_basis: str | None = Field(None, max_length=500)
    materials: list[Annotated[str, Field(min_length=1, max_length=120)]] = Field(
        default_factory=list, max_length=100
    )
    note: str | None = Field(None, max_length=1000)
    suspension_reason: Literal["hearing", "expert_review", "testing", "onsite_survey"] | None = None
    max_length: Limit | None = None
    commitment_true: bool | None = None
    performed_at: AwareDatetime | None = Field(
        None,
        description="work done offline and entered afterwards: when it was really done "
        "(recorded next to the time it reached the platform; supervision measures the gap)",
    )


def deps_of(request: Request) -> Deps:
    deps: Deps = request.app.state.deps
    return deps


def _stale(exc: Exception) -> JSONResponse:
    assert isinstance(exc, StaleVersion)
    return error_response(409, str(exc), current_version=exc.current)


def _not_allowed(exc: Exception) -> JSONResponse:
    assert isinstance(exc, ActionNotAllowed)
    return error_response(409, str(exc), allowed_actions=exc.allowed)


def _invalid(exc: Exception) -> JSONResponse:
    assert isinstance(exc, InvalidAction)
    return invalid_field(exc.field, exc.message)


def _store_down(exc: Exception) -> JSONResponse:
    log.warning("object store unavailable: %s", exc)
    detail = "the object store does not answer; try again shortly"
    return error_response(503, detail, headers={"Retry-After": str(RETRY_AFTER_S)})


def install_error_handlers(app: FastAPI) -> None:
    map_errors(
        app,
        {
            ApprovalError: 400,
            NotFound: 404,
            Forbidden: 403,
            StaleVersion: _stale,
            ActionNotAllowed: _not_allowed,
            InvalidAction: _invalid,
            ObjectStoreUnavailable: _store_down,
        },
    )


def _expected_version(body: ActionBody, if_match: str | None) -> int | JSONResponse:
    if body.version is not None:
        return body.version
    if if_match:
        digits = re.fullmatch(r'\s*(?:W/)?"?(\d+)"?\s*', if_match)
        if digits:
            return int(digits.group(1))
        return invalid_field("If-Match", 'must be the case version, e.g. "3"')
    return error_response(
        428,
        "precondition required",
        errors=[{"field": "version", "message": "send the case version in the body or If-Match"}],
    )


def case_view(case: Case) -> dict[str, Any]:
    """What officers see of a case: every resident ID and mobile number masked wherever it sits
    (the applicant, licence references, free text), officers' levels and the audit head left out."""
    doc = case.model_dump(mode="json", exclude={"levels", "audit_head", "stages"})
    stages = []
    for stage in case.stages.values():
        item = stage.model_dump(mode="json")
        item["allowed_actions"] = allowed_actions(case, stage)
        stages.append(item)
    doc["stages"] = stages
    masked: dict[str, Any] = mask_document(doc)
    return masked


@router.get("/cases/{case_id}", summary="a case with its stages and allowed actions")
async def get_case(case_id: str, request: Request, principal: CurrentPrincipal) -> JSONResponse:
    case = await visible_case(deps_of(request), case_id, principal)
    return JSONResponse(case_view(case), headers={"ETag": f'"{case.version}"'})


@router.get("/cases/{case_id}/timeline", summary="the case's hash-chained audit timeline")
async def get_timeline(case_id: str, request: Request, principal: CurrentPrincipal) -> JSONResponse:
    return JSONResponse(await case_timeline(deps_of(request), case_id, principal))


@router.post(
    "/cases/{case_id}/stages/{stage_id}/{action}",
    summary="act on a stage: sign-in, pass, fail, request-supplements, accept, refuse, approve, "
    "deny, deliver, verify, suspend, resume",
)
async def post_action(
    case_id: str,
    stage_id: str,
    action: Action,
    request: Request,
    principal: CurrentPrincipal,
    body: Annotated[ActionBody | None, Body()] = None,
    if_match: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    officer = officer_of(principal)
    body = body or ActionBody()
    version = _expected_version(body, if_match)
    if isinstance(version, JSONResponse):
        return version
    params = ActionInput(**body.model_dump(exclude={"version"}))
    case = await perform_action(
        deps_of(request),
        case_id=case_id,
        stage_id=stage_id,
        action=action,
        officer=officer,
        params=params,
        expected_version=version,
    )
    return JSONResponse(case_view(case), headers={"ETag": f'"{case.version}"'})


@router.get("/tasks", summary="work list: open tasks with light and working time left")
async def get_tasks(
    request: Request,
    principal: CurrentPrincipal,
    scope: Annotated[Literal["department", "mine"], Query()] = "department",
    department: Annotated[str | None, Query(max_length=60)] = None,
    stage: Annotated[str | None, Query(max_length=40)] = None,
    status: Annotated[Literal["active", "open", "suspended", "closed"], Query()] = "active",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    return await list_tasks(
        deps_of(request),
        principal,
        scope=scope,
        department=department,
        stage=stage,
        status=status,
        limit=limit,
        offset=offset,
    )
