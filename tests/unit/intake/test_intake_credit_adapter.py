"""Intake's HTTP credit adapter on answers the real service rarely gives (the normal answers are
tested against the real credit service: tests/integration/intake/test_intake_credit_client.py)."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from services.intake.credit import HttpCreditClient
from services.intake.ports import CreditUnavailable
from services.intake.settings import IntakeSettings


def client(handler: httpx.MockTransport) -> HttpCreditClient:
    return HttpCreditClient(IntakeSettings(credit_timeout_s=0.2), transport=handler)


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (httpx.Response(503), "HTTP 503"),
        (httpx.Response(200, json={"level": "A"}), "unexpected answer"),
        (httpx.Response(200, text="<html>"), "unexpected answer"),
    ],
)
async def test_an_answer_it_cannot_use_is_unavailable(answer: httpx.Response, reason: str) -> None:
    c = client(httpx.MockTransport(lambda request: answer))
    with pytest.raises(CreditUnavailable, match=reason):
        await c.status("91500000000000000X")
    await c.aclose()


async def test_a_slow_answer_is_unavailable() -> None:
    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(2)
        return httpx.Response(200, json={"black_list": False})

    c = client(httpx.MockTransport(slow))
    with pytest.raises(CreditUnavailable, match="no answer within 0.2s"):
        await c.status("91500000000000000X")
    await c.aclose()


async def test_the_request_carries_a_service_token_for_credit() -> None:
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["authorization"])
        return httpx.Response(200, json={"level": "B", "red_list": False, "black_list": False})

    c = client(httpx.MockTransport(answer))
    status = await c.status("91500000000000000X")
    await c.aclose()
    assert status.level == "B" and seen[0].startswith("Bearer ey")
