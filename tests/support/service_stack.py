"""One service on the real broker and database of the test run, as an integration module's
fixture starts it: its lifespan (consumer, outbox relay, jobs) running, its consumer assigned its
partitions, an HTTP client on its app and, for the tests that publish, a producer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer


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
