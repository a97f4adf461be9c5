"""HTTP API of the credit service (thin: validates input, calls the commands)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Literal, Self

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, model_validator

from services.credit import handlers
from services.credit.domain import CreditError, RepairTooEarly, Status
from services.credit.handlers import (
    DECIDE_OBJECTION_ROLES,
    DECIDE_REPAIR_ROLES,
    RANKING_ROLES,
    ConcurrencyExhausted,
    Deps,
    InvalidSubject,
)
from services.credit.handlers.ranking import FIRST_DAY, LAST_DAY
from shared.auth import CurrentPrincipal, OptionalPrincipal, Principal, require_roles
from shared.clock import SHANGHAI
from shared.contracts import Severity
from shared.observability.errors import (
    ErrorBody,
    InvalidRequest,
    error_response,
    invalid_field,
    map_errors,
)


class RefusalBody(ErrorBody):
    earliest: str | None = Field(None, description="409 on a repair: the earliest date")


router = APIRouter(
    prefix="/v1",
    tags=["credit"],
    responses={
        401: {"model": ErrorBody, "description": "missing or invalid bearer token"},
        403: {"model": ErrorBody, "description": "the caller may not do this"},
        404: {"model": ErrorBody, "description": "no such record or objection"},
        409: {"model": RefusalBody, "description": "the record's state does not allow it"},
        422: {"model": InvalidRequest, "description": "invalid input, by field"},
        503: {"model": ErrorBody, "description": "the subject kept changing; retry"},
    },
)


def _deps(request: Request) -> Deps:
    deps: Deps = request.app.state.deps
    return deps


DepsDep = Annotated[Deps, Depends(_deps)]
Supervisor = Annotated[Principal, require_roles(*RANKING_ROLES)]
ObjectionDecider = Annotated[Principal, require_roles(*DECIDE_OBJECTION_ROLES)]
RepairDecider = Annotated[Principal, require_roles(*DECIDE_REPAIR_ROLES)]
Text = Annotated[str, Field(min_length=1, max_length=2000)]


class ObjectionIn(BaseModel):
    reason: Text


class ObjectionDecisionIn(BaseModel):
    outcome: Literal["upheld", "rejected"]
    resolution: Literal["corrected", "revoked"] | None = Field(
        None, description="required when upheld: correct the record or revoke it"
    )
    reason: Text
    corrected_severity: Severity | None = None
    corrected_description: Annotated[str, Field(max_length=2000)] | None = None

    @model_validator(mode="after")
    def _resolution_when_upheld(self) -> Self:
        if self.outcome == "upheld" and self.resolution is None:
            raise ValueError("resolution (corrected or revoked) is required when upheld")
        return self


class RepairIn(BaseModel):
    rectification: Text = Field(description="what the subject did to rectify (整改)")
    evidence: list[Annotated[str, Field(max_length=300)]] = Field(
        default_factory=list, max_length=50
    )


class RepairDecisionIn(BaseModel):
    approved: bool
    reason: Text


def _record_body(record: Any) -> dict[str, Any]:
    body: dict[str, Any] = record.model_dump(mode="json", exclude={"origin_key"})
    return body


class CreditView(BaseModel):
    subject_id: str = Field(
        description="masked for a person unless the caller is the subject or the credit office"
    )
    subject_kind: Literal["person", "entity", "department"] | None
    level: str = Field(description="A (best) to D")
    score: float | None = Field(None, description="not shown to the public")
    red_list: bool = Field(description="trustworthy: commitments and accept-with-gaps allowed")
    black_list: bool = Field(description="serious dishonesty: no commitments, extra review")
    as_of: str
    viewer: Literal["subject", "credit_office", "officer", "public"]
    records: list[dict[str, Any]] = Field(
        description="every record in full for the subject and the credit office (officers of a "
        "social-credit department, -FGW); the records in effect as masked summaries for other "
        "officers and systems; the public records, masked, for the public"
    )


@router.get("/subjects/{subject_id}/credit", response_model=CreditView)
async def get_credit(
    subject_id: str, deps: DepsDep, principal: OptionalPrincipal
) -> dict[str, Any]:
    """Level, lists and records as the caller may see them (subject, officer/system, public).
    An unknown subject is level A with no records."""
    return await handlers.credit_of(deps, subject_id, principal)


@router.get("/records/{record_id}")
async def get_record(record_id: str, deps: DepsDep, principal: CurrentPrincipal) -> dict[str, Any]:
    return await handlers.record_for(deps, record_id, principal)


@router.post("/records/{record_id}/objections", status_code=201)
async def post_objection(
    record_id: str, body: ObjectionIn, deps: DepsDep, principal: CurrentPrincipal
) -> dict[str, Any]:
    record = await handlers.file_objection(deps, record_id, principal, body.reason)
    objection = record.objections[-1]
    return {
        "objection_id": objection.objection_id,
        "due_at": objection.due_at.isoformat(),
        "department": objection.department,
        "record": _record_body(record),
    }


@router.post("/objections/{objection_id}/decision")
async def post_objection_decision(
    objection_id: str, body: ObjectionDecisionIn, deps: DepsDep, principal: ObjectionDecider
) -> dict[str, Any]:
    record = await handlers.decide_objection(
        deps,
        objection_id,
        principal,
        upheld=body.outcome == "upheld",
        resolution=Status(body.resolution) if body.resolution else None,
        reason=body.reason,
        corrected_severity=body.corrected_severity,
        corrected_description=body.corrected_description,
    )
    return _record_body(record)


@router.post("/records/{record_id}/repair", status_code=202)
async def post_repair(
    record_id: str, body: RepairIn, deps: DepsDep, principal: CurrentPrincipal
) -> dict[str, Any]:
    record = await handlers.apply_for_repair(
        deps, record_id, principal, body.rectification, list(body.evidence)
    )
    return _record_body(record)


@router.post("/records/{record_id}/repair/decision")
async def post_repair_decision(
    record_id: str, body: RepairDecisionIn, deps: DepsDep, principal: RepairDecider
) -> dict[str, Any]:
    record = await handlers.decide_repair(
        deps, record_id, principal, approved=body.approved, reason=body.reason
    )
    return _record_body(record)


@router.get("/rankings/departments")
async def get_department_ranking(
    deps: DepsDep,
    _: Supervisor,
    start: Annotated[
        date,
        Query(
            alias="from",
            ge=FIRST_DAY,
            le=LAST_DAY,
            description=f"first day (Asia/Shanghai), {FIRST_DAY} to {LAST_DAY}",
        ),
    ],
    end: Annotated[
        date,
        Query(
            alias="to",
            ge=FIRST_DAY,
            le=LAST_DAY,
            description=f"last day, inclusive, {FIRST_DAY} to {LAST_DAY}",
        ),
    ],
) -> dict[str, Any]:
    if end < start:
        return invalid_field("to", "must not be before from")  # type: ignore[return-value]
    lo = datetime.combine(start, time(0), SHANGHAI)
    hi = datetime.combine(end + timedelta(days=1), time(0), SHANGHAI)
    rows = await handlers.department_ranking(deps, lo, hi)
    return {"from": start.isoformat(), "to": end.isoformat(), "departments": rows}


def _conflict(exc: Exception) -> JSONResponse:
    earliest = exc.earliest.astimezone(UTC).isoformat() if isinstance(exc, RepairTooEarly) else None
    return error_response(409, str(exc), earliest=earliest)


def install_error_handlers(app: FastAPI) -> None:
    map_errors(
        app,
        {
            CreditError: _conflict,
            InvalidSubject: lambda exc: invalid_field("subject_id", str(exc)),
            ConcurrencyExhausted: lambda exc: error_response(
                503, str(exc), headers={"Retry-After": "1"}
            ),
        },
    )
