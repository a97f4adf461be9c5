"""The notify handlers built by ``bootstrap.build_deps`` on in-memory fakes, as unit tests use them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from services.notify.bootstrap import build_deps, load_directory_if_newer
from services.notify.domain import ChannelName
from services.notify.handlers import Deps, bind
from services.notify.ports import Message, Resolver
from services.notify.settings import NotifySettings
from shared.audit.admin import Chaining
from shared.clock import FixedClock
from shared.contracts import Envelope, model_for
from shared.kafka import Handler
from tests.support.admin_log import MemoryAdminLog
from tests.unit.notify.notify_fakes import (
    FakeChannel,
    FakeResolver,
    MemoryDeliveries,
    MemoryDirectory,
    MemoryInbox,
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
    inbox: MemoryInbox

    async def handle(self, envelope: Envelope) -> None:
        """What the consumer does with a valid message (minus its dedupe)."""
        data = model_for(envelope.type).model_validate(envelope.data)
        await self.handlers[envelope.type](envelope, data)

    def sent(self, channel: ChannelName) -> list[Message]:
        return self.channels[channel].sent


async def build_world(settings: NotifySettings, *, resolver: Resolver | None = None) -> World:
    clock = FixedClock(NOON)
    channels = {c: FakeChannel(c) for c in ChannelName}
    inbox, projections = MemoryInbox(), MemoryProjections()
    deliveries = MemoryDeliveries(inbox)  # writes the inbox items it sends (Dispatcher.record)
    directory, subscriptions = MemoryDirectory(), MemorySubscriptions()
    integrators = MemoryIntegrators()
    changes = MemoryAdminLog()
    deps = build_deps(
        settings,
        clock=clock,
        projections=projections,
        directory=directory,
        deliveries=deliveries,
        inbox=inbox,
        subscriptions=subscriptions,
        integrators=integrators,
        changes=changes,
        resolver=resolver or FakeResolver(),
        channels=channels,
    )
    await load_directory_if_newer(directory, settings.directory_file, deps.chaining)
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
        deps.chaining,
        inbox,
    )
