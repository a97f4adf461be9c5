"""Notify unit fixtures: the real handlers wired by ``bootstrap.wire`` to in-memory fakes."""

from __future__ import annotations

import pytest

from services.notify.settings import NotifySettings
from tests.unit.notify.notify_world import World, build_world


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
    return await build_world(settings)
