"""HTTP API of the intake service (thin: validates input, calls handlers)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from services.intake.domain import ServiceItem, SubmissionIn
from services.intake.domain.agents import AgentGrant, AgentGrantIn
from services.intake.handlers import Deps, submit_case
from services.intake.handlers import agents as agent_handlers
from services.intake.handlers import catalog as catalog_handlers
from services.intake.handlers.owed import supply_owed
from services.intake.handlers.ratings import answer_rectification, rate_case
from services.intake.handlers.tracking import add_supplement, track_case
from shared.auth import CurrentPrincipal, OptionalPrincipal, Principal, require_roles
from shared.contracts import Material, RatingLevel

router = APIRouter(prefix="/v1", tags=["intake"])


def _deps(request: Request) -> Deps:
    deps: Deps = request.app.state.deps
    return deps


DepsDep = Annotated[Deps, Depends(_deps)]
Admin = Annotated[Principal, require_roles("admin")]
DepartmentOfficer = Annotated[Principal, require_roles("handler", "department_head")]
# Query strings end up in access logs and browser history: the header (or, on POST, the body)
# carries the code; the query parameter is kept for old clients only.
CodeQuery = Annotated[
    str | None,
    Query(
        alias="code",
        max_length=32,
        deprecated=True,
        description="deprecated: send the X-Verification-Code header instead",
    ),
]
CodeHeader = Annotated[
    str | None,
    Header(alias="X-Verification-Code", max_length=32, description="the case's verification code"),
]
BodyCode = Annotated[
    str | None, Field(max_length=32, description="the case's verification code (or the header)")
]


CODE_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"description": "no such case, or a wrong verification code (alike)"},
    429: {"description": "too many wrong codes for this case number; see Retry-After"},
}


def _code(*given: str | None) -> str | None:
    """The first code given, in the order body, header, query."""
    return next((c for c in given if c), None)


# -- catalog ---------------------------------------------------------------------------------


@router.get("/catalog/items", summary="list service items")
async def list_items(
    deps: DepsDep,
    region: str | None = None,
    department: str | None = None,
    include_closed: bool = False,
) -> list[ServiceItem]:
    return await catalog_handlers.list_items(
        deps, region=region, department=department, include_closed=include_closed
    )


@router.get("/catalog/items/{code}", summary="one service item")
async def get_item(deps: DepsDep, code: str) -> ServiceItem:
    return await catalog_handlers.ITEMS.one(deps, code)


@router.post("/catalog/items", status_code=201, summary="create an item (admin)")
async def create_item(deps: DepsDep, admin: Admin, item: ServiceItem) -> ServiceItem:
    return await catalog_handlers.ITEMS.create(deps, item, actor=admin)


@router.put("/catalog/items/{code}", summary="replace an item definition (admin)")
async def update_item(deps: DepsDep, admin: Admin, code: str, item: ServiceItem) -> ServiceItem:
    return await catalog_handlers.ITEMS.update(deps, code, item, actor=admin)


@router.post("/catalog/items/{code}/close", summary="close an item to applications (admin)")
async def close_item(deps: DepsDep, admin: Admin, code: str) -> ServiceItem:
    return await catalog_handlers.ITEMS.close(deps, code, actor=admin)


# -- agents ----------------------------------------------------------------------------------


@router.post("/agents", status_code=201, summary="name an agent who may apply in your name")
async def grant_agent(deps: DepsDep, principal: CurrentPrincipal, body: AgentGrantIn) -> AgentGrant:
    return await agent_handlers.grant_agent(deps, principal, body)


@router.get("/agents", summary="your agents")
async def list_agents(deps: DepsDep, principal: CurrentPrincipal) -> list[AgentGrant]:
    return await agent_handlers.list_agents(deps, principal)


@router.delete("/agents/{agent_id}", summary="revoke an agent, at once")
async def revoke_agent(deps: DepsDep, principal: CurrentPrincipal, agent_id: str) -> AgentGrant:
    return await agent_handlers.revoke_agent(deps, principal, agent_id)


# -- cases -----------------------------------------------------------------------------------


@router.post(
    "/cases",
    status_code=201,
    summary="submit a case (the applicant's real-name token, an agent's, an officer's or a "
    "terminal's)",
    responses={
        401: {"description": "no token"},
        403: {"description": "the token may not submit in this applicant's name"},
    },
)
async def submit(
    deps: DepsDep,
    body: SubmissionIn,
    response: Response,
    principal: OptionalPrincipal,
    idempotency_key: Annotated[
        str | None, Header(alias="Idempotency-Key", min_length=8, max_length=128)
    ] = None,
) -> dict[str, Any]:
    result, replayed = await submit_case(
        deps, body, principal=principal, idempotency_key=idempotency_key
    )
    if replayed:
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
    return result


@router.get(
    "/cases/{case_no}",
    summary="track a case (verification code or applicant token)",
    responses=CODE_RESPONSES,
)
async def track(
    deps: DepsDep,
    case_no: str,
    principal: OptionalPrincipal,
    code: CodeQuery = None,
    code_header: CodeHeader = None,
) -> dict[str, Any]:
    return await track_case(deps, case_no, code=_code(code_header, code), principal=principal)


class SupplementIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    materials: list[Material] = Field(min_length=1, max_length=100)
    verification_code: BodyCode = None


@router.post(
    "/cases/{case_no}/supplements",
    summary="answer a supplement request (补正)",
    responses=CODE_RESPONSES,
)
async def supplement(
    deps: DepsDep,
    case_no: str,
    body: SupplementIn,
    principal: OptionalPrincipal,
    code: CodeQuery = None,
    code_header: CodeHeader = None,
) -> dict[str, Any]:
    return await add_supplement(
        deps,
        case_no,
        body.materials,
        code=_code(body.verification_code, code_header, code),
        principal=principal,
    )


@router.post(
    "/cases/{case_no}/owed-materials",
    summary="supply material still owed by a case accepted with gaps (容缺受理)",
    responses={
        **CODE_RESPONSES,
        409: {"description": "nothing owed, the case decided, or the deadline passed"},
    },
)
async def owed_materials(
    deps: DepsDep,
    case_no: str,
    body: SupplementIn,
    principal: OptionalPrincipal,
    code_header: CodeHeader = None,
) -> dict[str, Any]:
    return await supply_owed(
        deps,
        case_no,
        body.materials,
        code=_code(body.verification_code, code_header),
        principal=principal,
    )


class RatingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    level: RatingLevel
    scores: dict[Annotated[str, Field(max_length=40)], Annotated[int, Field(ge=1, le=5)]] = Field(
        default_factory=dict, max_length=10
    )
    comment: str | None = Field(None, max_length=1000)
    verification_code: BodyCode = None


@router.post(
    "/cases/{case_no}/rating",
    status_code=201,
    summary="rate a decided case (好差评)",
    responses=CODE_RESPONSES,
)
async def rate(
    deps: DepsDep,
    case_no: str,
    body: RatingIn,
    principal: OptionalPrincipal,
    code: CodeQuery = None,
    code_header: CodeHeader = None,
) -> dict[str, Any]:
    return await rate_case(
        deps,
        case_no,
        level=body.level,
        scores=body.scores,
        comment=body.comment,
        code=_code(body.verification_code, code_header, code),
        principal=principal,
    )


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    answer: str = Field(min_length=1, max_length=4000)


@router.post(
    "/rectifications/{rectification_id}/answer",
    summary="the department answers a rectification (整改答复)",
)
async def answer(
    deps: DepsDep, rectification_id: str, body: AnswerIn, officer: DepartmentOfficer
) -> dict[str, Any]:
    return await answer_rectification(deps, rectification_id, answer=body.answer, principal=officer)
