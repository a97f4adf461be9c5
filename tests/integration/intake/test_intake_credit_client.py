"""The HTTP credit adapter against a tiny real credit server (uvicorn on a free port)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI, Header, HTTPException

from services.intake.credit import HttpCreditClient
from services.intake.ports import CreditUnavailable
from services.intake.settings import IntakeSettings
from shared.auth import TokenVerifier

pytestmark = pytest.mark.integration

SETTINGS = IntakeSettings(credit_timeout_s=0.5)
BLACK = "91500000000000000X"


def credit_app() -> FastAPI:
    app = FastAPI()
    verifier = TokenVerifier(SETTINGS)

    @app.get("/v1/subjects/{subject_id}/credit")
    async def credit(subject_id: str, authorization: str = Header("")) -> dict[str, Any]:
        principal = verifier.verify(authorization.removeprefix("Bearer "))
        if "system" not in principal.roles:
            raise HTTPException(403)
        if subject_id == "slow":
            await asyncio.sleep(3)
        if subject_id == "broken":
            raise HTTPException(503)
        if subject_id == "unknown":
            raise HTTPException(404)
        return {
            "subject_id": subject_id,
            "level": "D" if subject_id == BLACK else "A",
            "red_list": subject_id != BLACK,
            "black_list": subject_id == BLACK,
        }

    return app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
async def credit_url() -> AsyncIterator[str]:
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            credit_app(), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
        )
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


async def test_answers_timeouts_and_errors(credit_url: str) -> None:
    client = HttpCreditClient(SETTINGS.model_copy(update={"credit_url": credit_url}))
    try:
        black = await client.status(BLACK)
        assert black.black_list and black.level == "D"
        good = await client.status("500103199005170126")
        assert not good.black_list and good.red_list
        unknown = await client.status("unknown")
        assert unknown.level is None and not unknown.black_list
        for subject in ("slow", "broken"):
            with pytest.raises(CreditUnavailable):
                await client.status(subject)
    finally:
        await client.aclose()
    down = HttpCreditClient(SETTINGS.model_copy(update={"credit_url": "http://127.0.0.1:9"}))
    with pytest.raises(CreditUnavailable, match="no answer"):
        await down.status(BLACK)
    await down.aclose()
