"""Officers are found by role from the store once per query and cache period, not for every
consumed event (issue 22), and a directory change made here applies to the next event."""

from __future__ import annotations

import tests.unit.notify.notify_samples as s
from services.notify.domain import ChannelName, Officer
from services.notify.handlers.admin import put_officer, remove_officer
from services.notify.store.cached import CachedDirectory
from shared.auth import Principal
from tests.unit.notify.notify_fakes import MemoryDirectory
from tests.unit.notify.notify_world import NOON, World
from tests.unit.notify.test_notify_subscription_cache import Ticks

ADMIN = Principal(subject="admin-1", roles=frozenset({"admin"}))
HANDLERS = ["cq-scj-h01", "cq-scj-h02"]


def told(world: World) -> list[str]:
    return sorted(m.recipient_key for m in world.sent(ChannelName.EMAIL))


async def open_stage(world: World, n: int) -> None:
    await world.handle(s.envelope(s.stage_opened(f"C{n}", f"C{n}:S", NOON), NOON))


async def test_tasks_of_one_department_read_its_handlers_once(world: World) -> None:
    world.directory.role_reads = 0
    for n in range(3):  # the fixture's rate limit: three messages per officer
        await open_stage(world, n)
    assert world.directory.role_reads == 1
    assert told(world) == sorted(HANDLERS * 3)


async def test_an_officer_removed_or_added_here_applies_to_the_next_event(world: World) -> None:
    await open_stage(world, 1)
    assert await remove_officer(world.chaining, world.deps.directory, "cq-scj-h02", actor=ADMIN)
    world.channels[ChannelName.EMAIL].sent.clear()
    await open_stage(world, 2)
    assert told(world) == ["cq-scj-h01"]

    h01 = await world.directory.get_officer("cq-scj-h01")
    assert h01 is not None
    back = h01.model_copy(update={"id": "cq-scj-h09", "email": "new.handler@scj.cq.gov.example.cn"})
    assert await put_officer(world.chaining, world.deps.directory, back, actor=ADMIN)
    world.channels[ChannelName.EMAIL].sent.clear()
    await open_stage(world, 3)
    assert told(world) == ["cq-scj-h01", "cq-scj-h09"]


async def test_another_replicas_change_is_seen_after_the_cache_period() -> None:
    store, ticks = MemoryDirectory(), Ticks()
    cache = CachedDirectory(store, ttl_s=5.0, monotonic=ticks)
    assert await cache.officers(role="handler", department="D") == []
    officer = Officer(id="x1", name="X", department="D", roles=["handler"])
    await store.upsert_officer(officer, source="api")  # another replica: this one is not told
    ticks.now += 4.9
    assert await cache.officers(role="handler", department="D") == []
    ticks.now += 0.2
    assert [o.id for o in await cache.officers(role="handler", department="D")] == ["x1"]
    assert store.role_reads == 2
