"""The notify handlers wired by ``bootstrap.wire`` to in-memory fakes, as unit tests use them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from services.notify.bootstrap import chaining_of, load_directory_if_newer, wire
from services.notify.domain import ChannelName
from services.notify.handlers import bind
from services.notify.notifier import Deps
from services.notify.ports import Message
from services.notify.settings import NotifySettings
from shared.audit.admin import Chaining
from shared.clock import FixedClock
from shared.contracts import Envelope, model_for
from shared.kafka import Handler
from tests.support.admin_log import MemoryAdminLog
from tests.unit.notify.notify_fakes import (
    FakeChannel,
    MemoryDeliveries,
    MemoryDirectory,
    MemoryIntegrators,
    MemoryProjections,
    MemorySubscriptions,
)

# 10:00 in Shanghai on a Tuesday: outside quiet hours.
NOON = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)


@dataclass
class World:
    deps: Deps
    clock: FixedClock
    channels: dict[ChannelName, FakeChannel]
    deliveries: MemoryDeliveries
    projections: MemoryProjections
    directory: MemoryDirectory
    subscriptions: MemorySubscriptions
    integrators: MemoryIntegrators
    handlers: dict[str, Handler]
    changes: MemoryAdminLog  # the admin-change chains
    chaining: Chaining

    async def handle(self, envelope: Envelope) -> None:
        """What the consumer does with a valid message (minus its dedupe)."""
        data = model_for(envelope.type).model_validate(envelope.data)
        await self.handlers[envelope.type](envelope, data)

    def sent(self, channel: ChannelName) -> list[Message]:
        return self.channels[channel].sent


async def build_world(settings: NotifySettings) -> World:
    clock = FixedClock(NOON)
    channels = {c: FakeChannel(c) for c in ChannelName}
    deliveries, projections = MemoryDeliveries(), MemoryProjections()
    directory, subscriptions = MemoryDirectory(), MemorySubscriptions()
    integrators = MemoryIntegrators()
    changes = MemoryAdminLog()
    chaining = chaining_of(settings, changes, clock)
    await load_directory_if_newer(directory, settings.directory_file, chaining)
    deps = wire(
        settings=settings,
        clock=clock,
        projections=projections,
        directory=directory,
        deliveries=deliveries,
        subscriptions=subscriptions,
        integrators=integrators,
        channels=channels,
    )
    return World(
        deps,
        clock,
        channels,
        deliveries,
        projections,
        directory,
        subscriptions,
        integrators,
        bind(deps),
        changes,
        chaining,
    )
