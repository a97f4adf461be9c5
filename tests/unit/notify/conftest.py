"""Notify unit fixtures: the real handlers wired by ``bootstrap.wire`` to in-memory fakes."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from notify_world import World, build_world  # noqa: E402

from services.notify.settings import NotifySettings  # noqa: E402


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
