"""HTTP API of the notify service (thin: validates input, calls the stores).

- ``GET /v1/inbox``, ``POST /v1/inbox/{id}/read``: the signed-in applicant's or officer's inbox.
- ``/v1/directory/...``: the officer directory (role admin).
- ``/v1/webhooks``, ``/v1/webhook-integrators``: see ``webhook_api``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, Field, field_validator

from services.notify.domain import Officer
from services.notify.handlers import Deps, admin, inbox
from shared.auth import CurrentPrincipal, Principal, require_roles
from shared.contacts import CnPhone, Email
from shared.observability.errors import NotFound
from shared.reference import departments
from shared.roles import OFFICER_ROLES

router = APIRouter(prefix="/v1", tags=["notify"])


def _deps(request: Request) -> Deps:
    deps: Deps = request.app.state.deps
    return deps


DepsDep = Annotated[Deps, Depends(_deps)]
Admin = Annotated[Principal, require_roles("admin")]


# --- inbox -------------------------------------------------------------------------------------


class InboxItem(BaseModel):
    id: str
    case_id: str | None
    template: str
    subject: str
    body: str
    created_at: datetime
    read_at: datetime | None
    masked: bool


@router.get("/inbox", response_model=list[InboxItem], summary="the caller's notifications")
async def list_inbox(
    principal: CurrentPrincipal,
    deps: DepsDep,
    unread_only: bool = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[InboxItem]:
    items = await inbox.inbox_of(deps, principal, unread_only=unread_only, limit=limit)
    return [InboxItem.model_validate(item) for item in items]


@router.post("/inbox/{item_id}/read", status_code=204, summary="mark a notification read")
async def mark_read(item_id: str, principal: CurrentPrincipal, deps: DepsDep) -> Response:
    await inbox.mark_read(deps, item_id, principal)
    return Response(status_code=204)


# --- directory (admin) -------------------------------------------------------------------------


class OfficerIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    department: str
    section: str | None = Field(None, max_length=80)
    roles: list[str] = Field(min_length=1)
    email: Email | None = Field(None, description="checked by email-validator")
    phone: CnPhone | None = Field(None, description="a mainland China number; stored as digits")
    locale: str = Field("zh-CN", pattern=r"^(zh-CN|en)$")
    active: bool = True

    @field_validator("department")
    @classmethod
    def _known_department(cls, value: str) -> str:
        if value not in departments():
            raise ValueError(f"unknown department code {value!r} (see shared/reference)")
        return value

    @field_validator("roles")
    @classmethod
    def _known_roles(cls, value: list[str]) -> list[str]:
        unknown = [r for r in value if r not in OFFICER_ROLES]
        if unknown:
            allowed = ", ".join(sorted(OFFICER_ROLES))
            raise ValueError(f"unknown roles {unknown}; allowed: {allowed}")
        return value


@router.get("/directory", summary="directory version and officers (admin)")
async def get_directory(_: Admin, deps: DepsDep, department: str | None = None) -> dict[str, Any]:
    officers = await deps.directory.all_officers(department)
    return {
        "version": await deps.directory.version(),
        "officers": [o.model_dump() for o in officers],
    }


@router.put("/directory/officers/{officer_id}", summary="add or change an officer (admin)")
async def put_officer(
    officer_id: Annotated[str, Path(pattern=r"^[A-Za-z0-9._-]{1,80}$")],
    body: OfficerIn,
    principal: Admin,
    deps: DepsDep,
) -> dict[str, Any]:
    officer = Officer.model_validate({"id": officer_id, **body.model_dump()})
    await admin.put_officer(deps.chaining, deps.directory, officer, actor=principal)
    return officer.model_dump()


@router.delete("/directory/officers/{officer_id}", status_code=204, summary="remove an officer")
async def delete_officer(officer_id: str, principal: Admin, deps: DepsDep) -> Response:
    if not await admin.remove_officer(deps.chaining, deps.directory, officer_id, actor=principal):
        raise NotFound("no such officer")
    return Response(status_code=204)
