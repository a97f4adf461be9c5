"""Correlation ids (asgi-correlation-id in the shared app factory): every answer carries one, a
caller's plain id is kept, a forged one replaced, a 500 names the id its log line has, and the
events a request causes carry the request's id."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import APIRouter

from shared.contracts import make_envelope
from shared.contracts.examples import example_data
from shared.observability.http import CORRELATION_HEADER, create_app
from shared.observability.logging import JsonFormatter

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _app() -> Any:
    router = APIRouter()

    @router.get("/v1/event")
    async def event() -> dict[str, Any]:
        envelope = make_envelope(example_data("gov.egov.case.submitted.v1"), source="t", time=T0)
        return {"correlationid": envelope.correlationid, "id": envelope.id}

    @router.get("/v1/boom")
    async def boom() -> dict[str, str]:
        raise RuntimeError("a bug")

    return create_app(service="test", routers=[router])


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


async def test_an_answer_without_a_caller_id_gets_a_new_one(client: httpx.AsyncClient) -> None:
    first = await client.get("/healthz")
    second = await client.get("/healthz")
    ids = [first.headers[CORRELATION_HEADER], second.headers[CORRELATION_HEADER]]
    assert all(len(cid) == 32 for cid in ids)
    assert ids[0] != ids[1]


async def test_a_callers_plain_id_is_kept(client: httpx.AsyncClient) -> None:
    resp = await client.get("/healthz", headers={CORRELATION_HEADER: "bank-7:req.42"})
    assert resp.headers[CORRELATION_HEADER] == "bank-7:req.42"


@pytest.mark.parametrize("forged", ["a b", "x" * 129, "id\tnext", "<script>", "caf\u00e9"])
async def test_a_forged_id_is_replaced(client: httpx.AsyncClient, forged: str) -> None:
    resp = await client.get("/healthz", headers={CORRELATION_HEADER: forged.encode("utf-8")})
    assert resp.headers[CORRELATION_HEADER] != forged
    assert len(resp.headers[CORRELATION_HEADER]) == 32


async def test_an_event_a_request_causes_carries_the_requests_id(
    client: httpx.AsyncClient,
) -> None:
    resp = await client.get("/v1/event", headers={CORRELATION_HEADER: "req-1"})
    assert resp.json()["correlationid"] == "req-1"
    assert resp.json()["id"] != "req-1"


async def test_a_500_names_the_id_its_log_line_carries(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        resp = await client.get("/v1/boom", headers={CORRELATION_HEADER: "req-500"})
    assert resp.status_code == 500
    assert resp.json() == {"detail": "internal error", "correlation_id": "req-500"}
    assert resp.headers[CORRELATION_HEADER] == "req-500"
    record = next(r for r in caplog.records if "unhandled error" in r.getMessage())
    assert json.loads(JsonFormatter("test").format(record))["correlation_id"] == "req-500"
