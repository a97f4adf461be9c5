"""HTTP: the department assessment (supervisors and inspectors of a region, admins) and the
public statistics (no login, cached). Thin: parses the period, scopes, calls reports."""

from __future__ import annotations

import asyncio
import time
from typing import Annotated, Any, Literal, Protocol

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, PlainTextResponse

from services.monitor.history import officers, ratings, reports
from services.monitor.history.bulletin import markdown
from services.monitor.history.model import (
    AssessmentModel,
    Period,
    covers,
    last_complete,
    parse_period,
    region_prefix,
)
from services.monitor.history.pdf import pdf_bulletin
from services.monitor.history.store import MongoHistory
from shared.auth import Principal, require_roles
from shared.clock import SHANGHAI, Clock
from shared.contracts import RatingLevel
from shared.roles import Role

ASSESSORS = (Role.SUPERVISOR, Role.INSPECTOR, Role.ADMIN)
Assessor = Annotated[Principal, require_roles(*ASSESSORS)]
OfficerViewer = Annotated[Principal, require_roles(*officers.VIEWERS)]
PeriodText = Annotated[
    str | None, Query(max_length=40, description="2026, 2026-H1, 2026-Q1, 2026-03 or a..b")
]
RegionCode = Annotated[str | None, Query(pattern=r"^\d{6}$")]
MAX_PERIOD_DAYS = 3 * 366  # bounds the rollups one request (or one cache key) can read
MAX_RATINGS = 200  # ratings in one public answer


class HistorySource(Protocol):
    history: MongoHistory | None
    clock: Clock
    assessment_model: AssessmentModel
    public_cache: PublicCache


class PublicCache:
    """Public answers kept for ``ttl_s`` real seconds (a period's figures move slowly; every
    visitor must not cost an aggregation), at most ``size`` of them."""

    def __init__(self, ttl_s: float, size: int = 256) -> None:
        self.ttl_s, self.size = ttl_s, size
        self.entries: dict[tuple[Any, ...], tuple[float, Any]] = {}
        self.lock = asyncio.Lock()

    async def get(self, key: tuple[Any, ...], compute: Any) -> Any:
        async with self.lock:  # one computation per key at a time, not one per visitor
            hit = self.entries.get(key)
            if hit is not None and hit[0] > time.monotonic():
                return hit[1]
            value = await compute()
            if len(self.entries) >= self.size:
                self.entries.pop(next(iter(self.entries)))
            self.entries[key] = (time.monotonic() + self.ttl_s, value)
            return value


def _source(request: Request) -> HistorySource:
    source: HistorySource = request.app.state.monitor
    if source.history is None:
        raise HTTPException(503, "the history's database is not configured")
    return source


SourceDep = Annotated[HistorySource, Depends(_source)]
router = APIRouter(tags=["assessment"])


def _period(source: HistorySource, text: str | None) -> Period:
    if text is None:
        today = source.clock.now().astimezone(SHANGHAI).date()
        return last_complete(source.assessment_model.period, today)
    try:
        period = parse_period(text)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    if (period.until - period.since).days > MAX_PERIOD_DAYS:
        raise HTTPException(422, f"a period spans at most {MAX_PERIOD_DAYS + 1} days")
    return period


def _scope(principal: Principal, asked: str | None) -> str | None:
    """Admins see every region; supervisors and inspectors their own region and below."""
    if principal.has_any(Role.ADMIN):
        return asked
    if principal.region is None:
        raise HTTPException(403, "your token names no region")
    if asked is not None and not covers(principal.region, asked):
        raise HTTPException(403, f"region {asked} lies outside your region {principal.region}")
    return asked or principal.region


@router.get("/v1/assessment", summary="department assessment (绩效考核) for a period, ranked")
async def get_assessment(
    source: SourceDep,
    principal: Assessor,
    period: PeriodText = None,
    by: Annotated[Literal["department", "region", "item_code"], Query()] = "department",
    region: RegionCode = None,
    department: Annotated[str | None, Query(min_length=1, max_length=40)] = None,
    format: Annotated[Literal["json", "markdown", "pdf"], Query()] = "json",
) -> Response:
    """The bulletin (考核通报): each unit's score, rank, indicators and figures, and the totals;
    `format=markdown` or `format=pdf` (with charts) gives the same document to read or print."""
    assert source.history is not None
    doc = await reports.assessment(
        source.history,
        source.assessment_model,
        _period(source, period),
        by=by,
        scope=_scope(principal, region),
        at=source.clock.now(),
        department=department,
    )
    if format == "markdown":
        return PlainTextResponse(markdown(doc), media_type="text/markdown; charset=utf-8")
    if format == "pdf":  # drawing takes a while for many units: off the event loop
        content = await asyncio.to_thread(pdf_bulletin, doc)
        name = f"bulletin-{doc['period']['label']}-{by}.pdf".replace("..", "_")
        headers = {"Content-Disposition": f'attachment; filename="{name}"'}
        return Response(content, media_type="application/pdf", headers=headers)
    return JSONResponse(jsonable_encoder(doc))


@router.get(
    "/v1/assessment/officers",
    summary="per-officer figures of a period (department heads: their department; supervisors)",
)
async def get_officers(
    source: SourceDep,
    principal: OfficerViewer,
    period: PeriodText = None,
    department: Annotated[str | None, Query(min_length=1, max_length=40)] = None,
    region: RegionCode = None,
) -> Response:
    """Each officer's handling stages: closed, on time, working days against the limit, lights,
    escalations by rung and cards. A department head sees their own department's officers, a
    supervisor those of their region and below; no one else (admins and inspectors neither)."""
    assert source.history is not None
    try:
        dept, scoped = officers.scope(principal, department, region)
    except officers.NotAllowed as exc:
        raise HTTPException(403, str(exc)) from None
    chosen = _period(source, period)
    rows = await source.history.by_officer(
        chosen.since,
        chosen.until,
        department=dept,
        region_prefix=region_prefix(scoped) if scoped else None,
    )
    spans = {"label": chosen.label, "from": chosen.since, "to": chosen.until}
    doc = officers.officers_report(rows, period=spans, department=dept, region=scoped)
    return JSONResponse(jsonable_encoder(doc))


@router.get("/v1/public/statistics", summary="public statistics of a period (no login)")
async def get_public_statistics(
    source: SourceDep,
    period: PeriodText = None,
    region: RegionCode = None,
    department: Annotated[str | None, Query(min_length=1, max_length=40)] = None,
    item: Annotated[str | None, Query(min_length=1, max_length=80)] = None,
) -> Response:
    """Digital take-up, completion rate, user satisfaction and cost per transaction, and per
    region, department and item the cases handled, on-time rates, processing time against the
    promised and statutory limits and the satisfaction distribution. Counts only: no person."""
    assert source.history is not None
    history, model, chosen = source.history, source.assessment_model, _period(source, period)

    async def compute() -> Any:
        doc = await reports.public_statistics(
            history, model, chosen, region=region, department=department, item_code=item
        )
        return jsonable_encoder(doc)

    key = (chosen.label, region, department, item)
    body = await source.public_cache.get(key, compute)
    max_age = int(source.public_cache.ttl_s)
    return JSONResponse(body, headers={"Cache-Control": f"public, max-age={max_age}"})


@router.get("/v1/public/ratings", summary="published ratings with rectification answers (no login)")
async def get_public_ratings(
    source: SourceDep,
    period: PeriodText = None,
    region: RegionCode = None,
    department: Annotated[str | None, Query(min_length=1, max_length=40)] = None,
    item: Annotated[str | None, Query(min_length=1, max_length=80)] = None,
    level: Annotated[RatingLevel | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_RATINGS)] = 50,
) -> Response:
    """The ratings (好差评) of a period, newest first: level, day, department, region, item and,
    for a bad one, its rectification (整改): opened, due, answered, in time, and the
    department's answer with identifiers removed. No case id, no applicant, no comment."""
    assert source.history is not None
    history, chosen = source.history, _period(source, period)
    wanted = None if level is None else level.value

    async def compute() -> Any:
        docs = await history.rated(
            chosen.since,
            chosen.until,
            limit=limit,
            region_prefix=region_prefix(region) if region else None,
            department=department,
            item_code=item,
            level=wanted,
        )
        found = [ratings.published(doc) for doc in docs]
        spans = {"label": chosen.label, "from": chosen.since, "to": chosen.until}
        return jsonable_encoder({"period": spans, "ratings": found})

    key = ("ratings", chosen.label, region, department, item, wanted, limit)
    body = await source.public_cache.get(key, compute)
    max_age = int(source.public_cache.ttl_s)
    return JSONResponse(body, headers={"Cache-Control": f"public, max-age={max_age}"})
