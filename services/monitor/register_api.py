"""HTTP: the findings and 督办 register (thin: validates, applies a register rule, stores)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated, Any, Literal, Protocol

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from services.monitor.api import WATCH_ALL, Watcher, _department_scope
from services.monitor.ports import Publisher
from services.monitor.register import Record, RegisterError, answered, decided
from services.monitor.register_feed import answer_due, answer_envelope, closed_envelope
from services.monitor.register_store import MongoRegister
from shared.auth import Principal, require_roles
from shared.calendar import WorkingCalendar
from shared.clock import SHANGHAI, Clock
from shared.observability.errors import Conflict, Forbidden, Invalid, NotFound, Unavailable

ANSWER_ROLES = ("department_head", "section_chief")
DECIDE_ROLES = ("supervisor", "inspector")
Answerer = Annotated[Principal, require_roles(*ANSWER_ROLES)]
Decider = Annotated[Principal, require_roles(*DECIDE_ROLES)]


class RegisterSource(Protocol):
    register: MongoRegister | None
    clock: Clock
    calendar: WorkingCalendar
    register_answer_days: int

    @property
    def publisher(self) -> Publisher: ...


def _source(request: Request) -> RegisterSource:
    source: RegisterSource = request.app.state.monitor
    if source.register is None:
        raise Unavailable("the register's database is not configured")
    return source


SourceDep = Annotated[RegisterSource, Depends(_source)]
RecordId = Annotated[str, Path(min_length=1, max_length=64)]


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=2000, description="why it happened")
    measures: str = Field(min_length=1, max_length=2000, description="what the department does")


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: Literal["close", "reject"]
    note: str | None = Field(None, max_length=2000)


router = APIRouter(prefix="/v1/register", tags=["register"])


def view(record: Record, now: datetime) -> dict[str, Any]:
    out = {k: v for k, v in record.items() if k != "_id"}
    out["record_id"] = record["_id"]
    due = record.get("answer_due")
    out["answer_overdue"] = bool(record["state"] == "open" and due is not None and now > due)
    return out


def _day_start(d: date | None) -> datetime | None:
    return None if d is None else datetime.combine(d, time(0), tzinfo=SHANGHAI)


@router.get("", summary="findings, cards and escalations by department, period and state")
async def list_records(
    source: SourceDep,
    principal: Watcher,
    department: Annotated[str | None, Query(min_length=1, max_length=40)] = None,
    state: Annotated[Literal["open", "answered", "closed", "noted"] | None, Query()] = None,
    kind: Annotated[Literal["finding", "escalation"] | None, Query()] = None,
    since: Annotated[date | None, Query(alias="from")] = None,
    until: Annotated[date | None, Query(alias="to", description="inclusive")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    if since is not None and until is not None and until < since:
        raise Invalid("to lies before from")
    assert source.register is not None
    records, total = await source.register.query(
        department=_department_scope(principal, department),
        state=state,
        kind=kind,
        since=_day_start(since),
        until=_day_start(until + timedelta(days=1) if until else None),
        limit=limit,
        offset=offset,
    )
    now = source.clock.now()
    return {"items": [view(r, now) for r in records], "total": total, "offset": offset}


async def _load(source: RegisterSource, record_id: str, principal: Principal) -> Record:
    assert source.register is not None
    record = await source.register.get(record_id)
    if record is None:
        raise NotFound(f"no register record {record_id}")
    if not principal.has_any(*WATCH_ALL) and record["department"] != principal.department:
        raise Forbidden("the record belongs to another department")
    return record


async def _store(source: RegisterSource, before: Record, after: Record) -> dict[str, Any]:
    assert source.register is not None
    if not await source.register.replace(after, expected_state=before["state"]):
        raise Conflict("the record changed meanwhile; read it again")
    return view(after, source.clock.now())


@router.post("/{record_id}/answer", summary="the department answers: reason and measures")
async def answer(
    source: SourceDep, principal: Answerer, record_id: RecordId, body: Answer
) -> dict[str, Any]:
    record = await _load(source, record_id, principal)
    try:
        after = answered(
            record,
            by=principal.subject,
            reason=body.reason,
            measures=body.measures,
            at=source.clock.now(),
        )
    except RegisterError as exc:
        raise Conflict(str(exc)) from None
    # the answer's supervised stage closes: published first, a retry publishes the same id
    closing = closed_envelope(record, by=principal.subject, at=after["answer"]["at"])
    await source.publisher.publish([closing])
    return await _store(source, record, after)


@router.post(
    "/{record_id}/decision", summary="a supervisor closes the record or rejects the answer"
)
async def decide(
    source: SourceDep, principal: Decider, record_id: RecordId, body: Decision
) -> dict[str, Any]:
    record = await _load(source, record_id, principal)
    now = source.clock.now()
    try:
        after = decided(
            record,
            by=principal.subject,
            outcome=body.outcome,
            note=body.note,
            at=now,
            next_due=answer_due(source.calendar, now, source.register_answer_days),
        )
    except RegisterError as exc:
        raise Conflict(str(exc)) from None
    if after["state"] == "open":  # rejected: the department answers again, supervised again
        days = source.register_answer_days
        await source.publisher.publish([answer_envelope(after, days, now)])
    return await _store(source, record, after)
