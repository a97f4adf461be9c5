"""HTTP API of the approval service (thin: validates input, calls handlers)."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Header, HTTPException, Query, Request
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
    Officer,
    StaleVersion,
    allowed_actions,
)
from services.approval.handlers import Deps, perform_action
from services.approval.ports import TaskQuery
from services.approval.tasks import task_view
from shared.auth import CurrentPrincipal, Principal, Role
from shared.calendar.limits import Limit
from shared.identifiers import mask_document
from shared.roles import OFFICERS_AND_ADMIN

router = APIRouter(prefix="/v1", tags=["approval"])

# May look at other departments' work lists and cases (supervision, inspection).
OVERSIGHT_ROLES = (Role.SUPERVISOR, Role.INSPECTOR, Role.ADMIN)


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


def _deps(request: Request) -> Deps:
    deps: Deps = request.app.state.deps
    return deps


def _officer(principal: Principal) -> Officer:
    if not principal.has_any(*OFFICERS_AND_ADMIN):
        raise HTTPException(403, "requires an officer role")
    return Officer(
        subject=principal.subject,
        department=principal.department,
        region=principal.region,
        roles=principal.roles,
    )


def _error(exc: ApprovalError) -> JSONResponse:
    if isinstance(exc, NotFound):
        return JSONResponse({"detail": str(exc)}, 404)
    if isinstance(exc, Forbidden):
        return JSONResponse({"detail": str(exc)}, 403)
    if isinstance(exc, StaleVersion):
        return JSONResponse({"detail": str(exc), "current_version": exc.current}, 409)
    if isinstance(exc, ActionNotAllowed):
        return JSONResponse({"detail": str(exc), "allowed_actions": exc.allowed}, 409)
    if isinstance(exc, InvalidAction):
        return _field_error(422, "invalid request", exc.field, exc.message)
    return JSONResponse({"detail": str(exc)}, 400)


def _field_error(status: int, detail: str, field: str, message: str) -> JSONResponse:
    return JSONResponse(
        {"detail": detail, "errors": [{"field": field, "message": message}]}, status
    )


def _expected_version(body: ActionBody, if_match: str | None) -> int | JSONResponse:
    if body.version is not None:
        return body.version
    if if_match:
        digits = re.fullmatch(r'\s*(?:W/)?"?(\d+)"?\s*', if_match)
        if digits:
            return int(digits.group(1))
        return _field_error(
            422, "invalid request", "If-Match", 'must be the case version, e.g. "3"'
        )
    return _field_error(
        428, "precondition required", "version", "send the case version in the body or If-Match"
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


def _can_see(principal: Principal, case: Case) -> bool:
    """An officer of a department working the case in its region; a supervisor or inspector of
    a region the case or one of its stages is in (as their work list); an admin, any case."""
    if principal.has_any(Role.ADMIN):
        return True
    regions = {s.region for s in case.stages.values()} | {case.region}
    if principal.has_any(*OVERSIGHT_ROLES):
        return principal.region in regions
    departments = {s.department for s in case.stages.values()} | {case.department}
    return principal.region == case.region and principal.department in departments


@router.get("/cases/{case_id}", summary="a case with its stages and allowed actions")
async def get_case(case_id: str, request: Request, principal: CurrentPrincipal) -> JSONResponse:
    _officer(principal)
    case = await _deps(request).store.get(case_id)
    if case is None or not _can_see(principal, case):
        return JSONResponse({"detail": f"no case {case_id}"}, 404)
    return JSONResponse(case_view(case), headers={"ETag": f'"{case.version}"'})


@router.get("/cases/{case_id}/timeline", summary="the case's hash-chained audit timeline")
async def get_timeline(case_id: str, request: Request, principal: CurrentPrincipal) -> JSONResponse:
    _officer(principal)
    deps = _deps(request)
    case = await deps.store.get(case_id)
    if case is None or not _can_see(principal, case):
        return JSONResponse({"detail": f"no case {case_id}"}, 404)
    return JSONResponse({"case_id": case_id, "entries": await deps.store.timeline(case_id)})


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
    officer = _officer(principal)
    body = body or ActionBody()
    version = _expected_version(body, if_match)
    if isinstance(version, JSONResponse):
        return version
    params = ActionInput(**body.model_dump(exclude={"version"}))
    try:
        case = await perform_action(
            _deps(request),
            case_id=case_id,
            stage_id=stage_id,
            action=action,
            officer=officer,
            params=params,
            expected_version=version,
        )
    except ApprovalError as exc:
        return _error(exc)
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
    _officer(principal)
    deps = _deps(request)
    oversight = principal.has_any(*OVERSIGHT_ROLES)
    if department is not None and department != principal.department and not oversight:
        raise HTTPException(403, "you may only list your own department's tasks")
    if principal.region is None and not oversight:
        raise HTTPException(403, "your token names no region")
    if scope == "mine":
        listed = department
    else:
        listed = department or principal.department
        if listed is None and not oversight:
            raise HTTPException(403, "your token names no department")
    query = TaskQuery(
        department=listed,
        region=None if principal.has_any(Role.ADMIN) else principal.region,
        assignee=principal.subject if scope == "mine" else None,
        stage=stage,
        status=status,
        limit=min(limit, deps.settings.tasks_page_max),
        offset=offset,
    )
    rows, total = await deps.store.tasks(query)
    now = deps.clock.now()
    items = [
        task_view(r, calendar=deps.calendar, now=now, policy=deps.settings.warning_policy())
        for r in rows
    ]
    next_offset = offset + len(items) if offset + len(items) < total else None
    return {
        "items": items,
        "total": total,
        "limit": query.limit,
        "offset": offset,
        "next_offset": next_offset,
    }
