"""Intake's HTTP credit adapter against the real credit service (its app served by uvicorn on a
free port, on the test broker and database), calling as in production: intake signs a service
token with its own key and credit verifies it with the services' public keys, while people's
tokens at credit are configured as in production (RS256 from an identity provider)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
import uvicorn

from dev.devstack import free_port
from services.credit.bootstrap import CreditService, build
from services.credit.handlers import on_credit_incident
from services.credit.settings import CreditSettings
from services.intake.credit import HttpCreditClient
from services.intake.ports import CreditUnavailable
from services.intake.settings import IntakeSettings
from shared.clock import FixedClock
from shared.contracts import CreditIncident, make_envelope
from shared.identifiers import make_uscc

pytestmark = pytest.mark.integration

START = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
RUN = uuid.uuid4().hex[:10]


@pytest.fixture(scope="module")
async def credit(kafka_bootstrap: str, mongo_uri: str) -> AsyncIterator[tuple[CreditService, str]]:
    settings = CreditSettings(
        kafka_bootstrap=kafka_bootstrap,
        mongo_uri=mongo_uri,
        mongo_db=f"egov_credit_client_it_{RUN}",
        consumer_group=f"credit-client-it-{RUN}",
        log_json=False,
        # People's tokens as in production: RS256 from an identity provider (unreachable here;
        # service tokens do not need it).
        jwt_algorithm="RS256",
        jwt_jwks_url="https://idp.invalid/certs",
    )
    assert settings.service_jwks_file, "the test stack gives every service its key (devstack)"
    service = build(settings, clock=FixedClock(START))
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            service.app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"
        )
    )
    async with service.infra.lifespan(service.app):
        task = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.05)
        yield service, f"http://127.0.0.1:{port}"
        server.should_exit = True
        await task


def intake_settings(credit_url: str, **extra: object) -> IntakeSettings:
    return IntakeSettings(credit_url=credit_url, credit_timeout_s=5, **extra)  # type: ignore[arg-type]


async def black_list(service: CreditService, uscc: str) -> None:
    data = CreditIncident.model_validate(
        {
            "subject_id": uscc,
            "subject_kind": "entity",
            "incident_type": "court_judgment_unfulfilled",
            "severity": "very_serious",
            "source_system": "cq-court",
            "evidence": [f"(2026)渝01执{RUN[:6]}号"],
            "description": "judgment unfulfilled",
            "occurred_at": START,
        }
    )
    env = make_envelope(data, source="/external/cq-intermediate-court", time=START)
    await on_credit_incident(service.deps, env, data)


async def test_intake_reads_the_real_answers_with_its_own_service_token(
    credit: tuple[CreditService, str],
) -> None:
    service, url = credit
    black, clean = make_uscc(int(RUN, 16)), make_uscc(int(RUN, 16) + 1)
    await black_list(service, black)
    client = HttpCreditClient(intake_settings(url))
    try:
        found = await client.status(black)
        assert found.black_list and not found.red_list
        unknown = await client.status(clean)  # no record: the real service answers 200
        assert not unknown.black_list and unknown.level == "A"
    finally:
        await client.aclose()


async def test_a_development_token_is_refused_where_people_are_verified_as_in_production(
    credit: tuple[CreditService, str],
) -> None:
    _, url = credit
    # Without its key intake signs with the development HS256 secret: the old behaviour, which
    # credit configured for production refuses, so the check never ran.
    client = HttpCreditClient(intake_settings(url, service_key_file=None))
    try:
        with pytest.raises(CreditUnavailable, match="HTTP 401"):
            await client.status(make_uscc(int(RUN, 16) + 2))
    finally:
        await client.aclose()


async def test_no_answer_is_unavailable(credit: tuple[CreditService, str]) -> None:
    down = HttpCreditClient(intake_settings("http://127.0.0.1:9"))
    with pytest.raises(CreditUnavailable, match="no answer"):
        await down.status(make_uscc(1))
    await down.aclose()
