"""An idle outbox relay leaves MongoDB alone and still publishes at once what any process
commits (issue 22): the change stream on the outbox wakes it; without one it polls with a
backoff; of several relays one publishes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from shared.contracts import Envelope, StageOpened, make_envelope
from shared.contracts.examples import EXAMPLES
from shared.kafka import KafkaPublisher
from shared.mongo import Outbox, OutboxRelay
from shared.mongo.commands import COMMANDS
from shared.settings import ServiceSettings

pytestmark = pytest.mark.integration

Relays = Callable[..., Awaitable[OutboxRelay]]


def stage_opened(case_id: str) -> Envelope:
    data = StageOpened.model_validate(
        {**EXAMPLES[StageOpened.event_type], "case_id": case_id, "stage_id": f"{case_id}:review"}
    )
    return make_envelope(data, source="/egov/test", time=datetime(2026, 3, 2, 9, tzinfo=UTC))


async def eventually(check: Callable[[], Awaitable[bool]], what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout}s: {what}")
        await asyncio.sleep(0.05)


@pytest.fixture
async def relays(
    kafka_bootstrap: str, mongo_uri: str, unique_id: str
) -> AsyncIterator[tuple[Relays, Any]]:
    """Relays on one test database, counted by the process's command counter, and a second
    client for the writes of "another process" (which wake no relay)."""
    db_name = f"relay_{unique_id[:12]}"
    settings = ServiceSettings(service_name="relaytest", kafka_bootstrap=kafka_bootstrap)
    async with AsyncExitStack() as stack:
        client: AsyncMongoClient[Any] = AsyncMongoClient(mongo_uri, event_listeners=[COMMANDS])
        stack.push_async_callback(client.close)
        other: AsyncMongoClient[Any] = AsyncMongoClient(mongo_uri)
        stack.push_async_callback(other.close)
        publisher = KafkaPublisher(settings)
        await publisher.start()
        stack.push_async_callback(publisher.stop)
        await Outbox(client[db_name]).ensure_indexes()

        async def start(name: str, **options: Any) -> OutboxRelay:
            relay = OutboxRelay(
                client[db_name], publisher, service=f"{name}-{unique_id[:8]}", owner=name, **options
            )
            await relay.start()
            stack.push_async_callback(relay.stop)
            return relay

        yield start, other[db_name]


async def sent(db: Any, envelopes: list[Envelope]) -> bool:
    ids = [e.id for e in envelopes]
    return await db.outbox.count_documents({"_id": {"$in": ids}, "sent": True}) == len(ids)


async def test_an_idle_relay_sends_nothing_and_is_woken_by_another_process_commit(
    relays: tuple[Relays, Any], unique_id: str
) -> None:
    start, db = relays
    # Safety polls 30 s apart: only the change stream can publish within the seconds allowed.
    relay = await start("watcher", idle_poll_s=30.0)
    await eventually(lambda: _true(relay.watching), "the change stream open", 10)
    label = f"outbox-relay:{relay.service}"
    await asyncio.sleep(0.5)  # the first run (lease, find) is over
    before = dict(COMMANDS.of(label))
    await asyncio.sleep(1.5)
    # Idle: no lease, no find, at most the stream's one pending getMore (the old relay: ~15).
    idle = {k: n - before.get(k, 0) for k, n in COMMANDS.of(label).items()}
    assert {k: n for k, n in idle.items() if n and k != "getMore"} == {}
    assert idle.get("getMore", 0) <= 1

    events = [stage_opened(f"500000-20260302-{unique_id[:6]}")]
    async with db.client.start_session() as session:

        async def work(s: Any) -> None:
            await Outbox(db).add(events, session=s)

        await session.with_transaction(work)
    await eventually(lambda: sent(db, events), "the other process's event published", 10)


async def test_without_a_change_stream_the_relay_polls_with_a_backoff(
    relays: tuple[Relays, Any], unique_id: str
) -> None:
    start, db = relays
    relay = await start("poller", poll_s=0.1, idle_poll_s=0.4, change_stream=False)
    events = [stage_opened(f"500000-20260302-{unique_id[6:12]}")]
    await Outbox(db).add(events, session=None)
    await eventually(lambda: sent(db, events), "the event published by polling", 10)
    assert not relay.watching


async def test_of_two_relays_one_holds_the_lease_and_each_event_goes_out_once(
    relays: tuple[Relays, Any], unique_id: str
) -> None:
    start, db = relays
    first = await start("first", idle_poll_s=1.0)
    second = await start("second", idle_poll_s=1.0)
    events = [stage_opened(f"500000-20260302-{unique_id[:5]}{i}") for i in range(3)]
    await Outbox(db).add(events, session=None)
    await eventually(lambda: sent(db, events), "the events published", 10)
    assert [first._holding(), second._holding()].count(True) == 1
    published = {
        relay.service: COMMANDS.of(f"outbox-relay:{relay.service}").get("update", 0)
        for relay in (first, second)
    }
    assert sorted(published.values())[0] == 0, published  # the one without the lease never did


async def _true(value: bool) -> bool:
    return value
