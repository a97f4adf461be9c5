"""Webhook subscriptions are read from the store once per event type and cache period, not for
every consumed event (issue 22), and a change is never missed: this replica's at once, another
replica's after the cache period, an uncommitted one never kept."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

import tests.unit.notify.notify_samples as s
from services.notify.domain import ChannelName
from services.notify.settings import NotifySettings
from services.notify.store.cached import CachedSubscriptions
from tests.unit.notify.notify_fakes import MemorySubscriptions
from tests.unit.notify.notify_world import NOON, World
from tests.unit.notify.test_notify_webhooks import (
    DECIDED,
    SUBMITTED,
    Api,
    add_subscription,
    make_api,
)


@pytest.fixture
async def api(settings: NotifySettings) -> AsyncIterator[Api]:
    async for made in make_api(settings):
        yield made


def hooked(world: World) -> list[tuple[str, str]]:
    return [(m.address, m.event_type) for m in world.sent(ChannelName.WEBHOOK)]


async def test_consumed_events_read_the_subscriptions_once_per_event_type(world: World) -> None:
    await add_subscription(world, "tax", event_types=(SUBMITTED, DECIDED))
    for i in range(5):
        await world.handle(s.envelope(s.case_submitted(f"C{i}", NOON), NOON))
    await world.handle(s.envelope(s.case_decided("C0", NOON, "approved"), NOON))
    await world.handle(s.envelope(s.case_decided("C1", NOON, "approved"), NOON))
    assert world.subscriptions.reads_by_type == 2  # submitted once, decided once
    assert sorted(hooked(world)) == sorted([("tax", SUBMITTED)] * 5 + [("tax", DECIDED)] * 2)


async def test_a_subscription_made_or_removed_here_applies_to_the_next_event(api: Api) -> None:
    world = api.world
    assert (await api.register("tax-system", [SUBMITTED], ["*"])).status_code == 200
    await world.handle(s.envelope(s.case_submitted("C1", NOON), NOON))  # cached: nobody
    created = await api.subscribe("tax-system", event_types=[SUBMITTED])
    assert created.status_code == 201, created.text
    await world.handle(s.envelope(s.case_submitted("C2", NOON), NOON))
    assert [m.case_id for m in world.sent(ChannelName.WEBHOOK)] == ["C2"]

    sub_id = created.json()["id"]
    removed = await api.client.delete(
        f"/v1/webhooks/{sub_id}", headers=api.auth("tax-system", "system")
    )
    assert removed.status_code == 204, removed.text
    await world.handle(s.envelope(s.case_submitted("C3", NOON), NOON))
    assert [m.case_id for m in world.sent(ChannelName.WEBHOOK)] == ["C2"]


@dataclass
class Ticks:
    now: float = 100.0

    def __call__(self) -> float:
        return self.now


def sub(sub_id: str) -> dict[str, object]:
    return {"_id": sub_id, "owner": "o", "event_types": [SUBMITTED], "active": True, "secrets": []}


async def test_another_replicas_change_is_seen_after_the_cache_period() -> None:
    store, ticks = MemorySubscriptions(), Ticks()
    cache = CachedSubscriptions(store, ttl_s=5.0, monotonic=ticks)
    assert await cache.for_event_type(SUBMITTED) == []
    await store.add(sub("elsewhere"))  # written by another replica: this one is not told
    ticks.now += 4.9
    assert await cache.for_event_type(SUBMITTED) == []
    ticks.now += 0.2
    assert [d["_id"] for d in await cache.for_event_type(SUBMITTED)] == ["elsewhere"]
    assert store.reads_by_type == 2


class Session:
    """A transaction's session as the cache sees it: open until committed."""

    in_transaction = True


async def test_what_is_read_before_a_change_commits_is_not_kept() -> None:
    store, ticks = MemorySubscriptions(), Ticks()
    cache = CachedSubscriptions(store, ttl_s=5.0, monotonic=ticks)
    session = Session()
    await cache.add(sub("new"), session=session)
    store.items.pop("new")  # not committed yet: a read sees the store without it
    assert await cache.for_event_type(SUBMITTED) == []
    session.in_transaction = False  # committed
    await store.add(sub("new"))
    assert [d["_id"] for d in await cache.for_event_type(SUBMITTED)] == ["new"]
    assert [d["_id"] for d in await cache.for_event_type(SUBMITTED)] == ["new"]
    assert store.reads_by_type == 2


async def test_a_cache_period_of_zero_reads_every_time() -> None:
    store = MemorySubscriptions()
    cache = CachedSubscriptions(store, ttl_s=0.0, monotonic=Ticks())
    await cache.for_event_type(SUBMITTED)
    await cache.for_event_type(SUBMITTED)
    assert store.reads_by_type == 2
