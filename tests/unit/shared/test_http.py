"""The shared app factory: errors a client can act on are 4xx/503 with a clear body, never 500."""

from __future__ import annotations

import httpx
from fastapi import APIRouter

from shared.calendar import CalendarCoverageError
from shared.observability.http import create_app


async def test_a_deadline_in_an_uncovered_year_is_503_naming_the_year() -> None:
    router = APIRouter()

    @router.get("/v1/deadline")
    async def deadline() -> dict[str, str]:
        raise CalendarCoverageError(2027)

    app = create_app(service="test", routers=[router])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        resp = await client.get("/v1/deadline")
    assert resp.status_code == 503
    assert resp.json()["missing_year"] == 2027
    assert "2027" in resp.json()["detail"]


async def test_a_bad_query_is_422_with_the_field() -> None:
    router = APIRouter()

    @router.get("/v1/items")
    async def items(limit: int) -> dict[str, int]:
        return {"limit": limit}

    app = create_app(service="test", routers=[router])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        resp = await client.get("/v1/items", params={"limit": "many"})
    assert resp.status_code == 422
    assert "limit" in resp.text
