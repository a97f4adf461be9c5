"""One service on the real broker and database of the test run, as an integration module's
fixture starts it: its lifespan (consumer, outbox relay, jobs) running, its consumer assigned its
partitions, an HTTP client on its app and, for the tests that publish, a producer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import httpx
from aiokafka import AIOKafkaProducer

from shared.clock import FixedClock
from shared.settings import ServiceSettings

ServiceT = TypeVar("ServiceT")
SettingsT = TypeVar("SettingsT", bound=ServiceSettings)


@asynccontextmanager
async def serving(service: Any, base_url: str, **client: Any) -> AsyncIterator[httpx.AsyncClient]:
    """``service`` (what its ``bootstrap.build`` returns) running, with a client on its app."""
    async with service.infra.lifespan(service.app):
        await service.consumer.wait_assigned(60)
        transport = httpx.ASGITransport(service.app)
        async with httpx.AsyncClient(transport=transport, base_url=base_url, **client) as http:
            yield http


@asynccontextmanager
async def producing(bootstrap: str) -> AsyncIterator[AIOKafkaProducer]:
    """A producer that waits for every replica (``acks=all``), stopped on the way out."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        yield producer
    finally:
        await producer.stop()


@asynccontextmanager
async def serving_and_producing(
    service: Any, base_url: str, bootstrap: str
) -> AsyncIterator[tuple[httpx.AsyncClient, AIOKafkaProducer]]:
    """Both of the above, the producer started first and stopped last."""
    async with AsyncExitStack() as stack:
        producer = await stack.enter_async_context(producing(bootstrap))
        http = await stack.enter_async_context(serving(service, base_url))
        yield http, producer


@dataclass
class Running(Generic[ServiceT, SettingsT]):
    """A service running on a fixed clock, as most integration modules drive one."""

    service: ServiceT
    client: httpx.AsyncClient
    producer: AIOKafkaProducer
    clock: FixedClock
    settings: SettingsT
    bootstrap: str


@asynccontextmanager
async def running(
    service: ServiceT, settings: SettingsT, clock: FixedClock, base_url: str
) -> AsyncIterator[Running[ServiceT, SettingsT]]:
    """``service`` built from ``settings`` on ``clock``, serving and with a producer."""
    bootstrap = settings.kafka_bootstrap
    async with serving_and_producing(service, base_url, bootstrap) as (client, producer):
        yield Running(service, client, producer, clock, settings, bootstrap)
