"""Notify unit fixtures: the real handlers wired by ``bootstrap.wire`` to in-memory fakes."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from notify_fakes import (  # noqa: E402
    FakeChannel,
    MemoryDeliveries,
    MemoryDirectory,
    MemoryProjections,
    MemorySubscriptions,
)

from services.notify.bootstrap import load_directory_if_newer, wire  # noqa: E402
from services.notify.domain import ChannelName  # noqa: E402
from services.notify.handlers import bind  # noqa: E402
from services.notify.notifier import Deps  # noqa: E402
from services.notify.ports import Message  # noqa: E402
from services.notify.settings import NotifySettings  # noqa: E402
from shared.clock import FixedClock  # noqa: E402
from shared.contracts import Envelope, model_for  # noqa: E402
from shared.kafka import Handler  # noqa: E402

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
    handlers: dict[str, Handler]

    async def handle(self, envelope: Envelope) -> None:
        """What the consumer does with a valid message (minus its dedupe)."""
        data = model_for(envelope.type).model_validate(envelope.data)
        await self.handlers[envelope.type](envelope, data)

    def sent(self, channel: ChannelName) -> list[Message]:
        return self.channels[channel].sent


@pytest.fixture
def settings() -> NotifySettings:
    return NotifySettings(
        retry_base_s=10,
        retry_max_s=60,
        delivery_max_attempts=3,
        rate_limit_count=3,
        rate_limit_window_s=3600,
        delivery_lease_s=30,
    )


@pytest.fixture
async def world(settings: NotifySettings) -> World:
    clock = FixedClock(NOON)
    channels = {c: FakeChannel(c) for c in ChannelName}
    deliveries, projections = MemoryDeliveries(), MemoryProjections()
    directory, subscriptions = MemoryDirectory(), MemorySubscriptions()
    await load_directory_if_newer(directory, settings.directory_file)
    deps = wire(
        settings=settings,
        clock=clock,
        projections=projections,
        directory=directory,
        deliveries=deliveries,
        subscriptions=subscriptions,
        channels=channels,
    )
    return World(
        deps, clock, channels, deliveries, projections, directory, subscriptions, bind(deps)
    )
