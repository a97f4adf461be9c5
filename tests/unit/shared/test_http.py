"""The shared app factory: errors a client can act on are 4xx/503 with a clear body, never 500."""

from __future__ import annotations

import logging

import httpx
import pytest
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


async def test_readyz_tells_the_public_port_a_status_and_the_log_the_reason(
    caplog: pytest.LogCaptureFixture,
) -> None:
    secret = "connection refused: mongodb://egov-intake:s3cret@10.0.3.7:27017 (pymongo 4.13)"

    async def database() -> None:
        raise ConnectionError(secret)

    async def broker() -> str:
        return "ok"

    app = create_app(service="test", readiness={"database": database, "broker": broker})
    transport = httpx.ASGITransport(app=app)
    with caplog.at_level(logging.WARNING, logger="shared.observability.http"):
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            resp = await client.get("/readyz")
    assert resp.status_code == 503
    assert resp.json() == {
        "status": "not ready",
        "checks": {"database": "unavailable", "broker": "ok"},
    }
    for leak in ("s3cret", "10.0.3.7", "ConnectionError", "pymongo"):
        assert leak not in resp.text
    assert any("database" in r.getMessage() and secret in r.getMessage() for r in caplog.records)


async def test_a_malformed_json_body_names_the_body_and_the_position_in_the_message() -> None:
    router = APIRouter()

    @router.post("/v1/things")
    async def things(body: dict[str, int]) -> dict[str, int]:
        return body

    app = create_app(service="test", routers=[router])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        resp = await client.post(
            "/v1/things", content=b'{"a":', headers={"content-type": "application/json"}
        )
        two_lines = await client.post(
            "/v1/things", content=b'{"a": 1,\n "b": }', headers={"content-type": "application/json"}
        )
    assert resp.status_code == 422
    error = resp.json()["errors"][0]
    assert error["field"] == "body"
    assert error["type"] == "json_invalid"
    assert "line 1 column 6 (character 5)" in error["message"]
    assert "Expecting value" in error["message"]
    assert two_lines.json()["errors"][0]["field"] == "body"
    assert "line 2 column 7 (character 15)" in two_lines.json()["errors"][0]["message"]
