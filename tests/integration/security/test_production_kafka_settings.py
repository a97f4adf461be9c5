"""Production's Kafka settings start every service: the prod overlay's protocol and mechanism
(deploy/k8s/overlays/prod, read here so the test follows it) against a test broker with a TLS
listener whose certificate a throwaway CA signed. Each service connects as its own principal,
trusting only that CA through EGOV_KAFKA_SSL_CAFILE; every client, faust's included, gets its
TLS context from shared/kafka/client.py `ssl_context`."""

from __future__ import annotations

import asyncio
import os
import ssl
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from typing import Any

import pytest
import yaml

from dev import devstack
from dev.apache_kafka import TlsFiles
from shared.clock import SHANGHAI
from shared.contracts import T_NOTIFICATIONS
from shared.kafka.client import ssl_context
from shared.settings import ServiceSettings
from tests.support.platform import World, private_stack, running_platform
from tests.support.tls import broker_certificate

pytestmark = pytest.mark.integration

PROD_OVERLAY = devstack.REPO_ROOT / "deploy" / "k8s" / "overlays" / "prod" / "kustomization.yaml"
FOLLOWED = ("EGOV_KAFKA_SECURITY_PROTOCOL", "EGOV_KAFKA_SASL_MECHANISM")
ORIGIN = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)  # a Monday morning, at real speed


def production_kafka_security() -> dict[str, str]:
    """The prod overlay's protocol and mechanism (its user name is one for all services; here
    each service keeps its own principal, as the broker's ACLs expect)."""
    overlay = yaml.safe_load(PROD_OVERLAY.read_text())
    generator = next(g for g in overlay["configMapGenerator"] if g["name"] == "egov-settings")
    literals = dict(item.split("=", 1) for item in generator["literals"])
    return {name: literals[name] for name in FOLLOWED}


def settings_from(env: dict[str, str], **changes: Any) -> ServiceSettings:
    """What a service with these EGOV_* variables reads."""
    fields = {name.removeprefix("EGOV_").lower(): value for name, value in env.items()}
    return ServiceSettings(**(fields | changes))


@pytest.fixture(scope="module")
def tls_stack(
    kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[dict[str, str], TlsFiles]]:
    """``kafka_bootstrap`` only says a stack may run; the module brings its own, with TLS."""
    if os.environ.get("EGOV_DEV_BROKER") == "tansu":
        pytest.skip("the TLS listener is Apache Kafka's; `make test` runs it where a JDK is")
    base = tmp_path_factory.mktemp("prod-kafka")
    tls = broker_certificate(base / "tls")
    with private_stack(base / "stack", tls=tls) as stack_env:
        yield stack_env, tls


@pytest.fixture(scope="module")
def identities(tls_stack: tuple[dict[str, str], TlsFiles]) -> dict[str, dict[str, str]]:
    """Each service's principal on the TLS listener, with production's protocol and mechanism."""
    production = production_kafka_security()
    tls_identities = devstack.service_identities(tls_stack[0], tls=True)
    return {service: env | production for service, env in tls_identities.items()}


@pytest.fixture(scope="module")
async def world(
    tls_stack: tuple[dict[str, str], TlsFiles],
    identities: dict[str, dict[str, str]],
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[World]:
    with running_platform(
        tls_stack[0],
        tmp_path_factory.mktemp("prod-kafka-platform"),
        origin=ORIGIN,
        speed=1.0,
        startup_s=0.0,
        identities=identities,
    ) as w:
        yield w
        await w.http.aclose()


async def handshake(bootstrap: str, context: ssl.SSLContext | None) -> None:
    host, _, port = bootstrap.rpartition(":")
    _, writer = await asyncio.wait_for(
        asyncio.open_connection(host, int(port), ssl=context), timeout=10
    )
    writer.close()
    await writer.wait_closed()


async def test_only_a_client_that_trusts_the_ca_completes_the_handshake(
    identities: dict[str, dict[str, str]],
) -> None:
    trusting = settings_from(identities["intake"])
    await handshake(trusting.kafka_bootstrap, ssl_context(trusting))
    # EGOV_KAFKA_SSL_CAFILE forgotten: the system's trust store does not know the test CA.
    untrusting = settings_from(identities["intake"], kafka_ssl_cafile=None)
    with pytest.raises(ssl.SSLCertVerificationError):
        await handshake(untrusting.kafka_bootstrap, ssl_context(untrusting))


async def test_every_service_runs_on_the_production_settings(world: World) -> None:
    # Started means ready: broker and database reachable (and the monitor's partitions
    # assigned), each service over TLS as itself, never on the harness listener.
    production = production_kafka_security()
    for service in world.platform.services.values():
        assert {name: service.env[name] for name in FOLLOWED} == production
        assert service.env["EGOV_KAFKA_BOOTSTRAP"] != world.bootstrap
    case_id, _ = await world.submit()

    async def supervised() -> bool:
        r = await world.http.get(
            f"{world.url('monitor')}/v1/stages/{case_id}", headers=world.system()
        )
        return r.status_code == 200

    async def receipt() -> list[dict[str, Any]]:
        delivered = await world.events(T_NOTIFICATIONS, "notification.delivered.v1")
        return [n for n in delivered if n.get("case_id") == case_id]

    task, watched, told = await asyncio.gather(
        world.task(case_id, "prereview"),  # intake -> approval
        world.eventually(supervised),  # approval's stage -> the monitor (faust)
        world.eventually(receipt),  # intake's case -> notify -> its outcome on the bus
    )
    assert task is not None, "the case never reached approval's work list"
    assert watched, "the monitor never supervised the case's stage"
    assert told, "notify never delivered the receipt"
