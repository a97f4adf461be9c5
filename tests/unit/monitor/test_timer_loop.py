"""The timer loop survives a firing whose send was dropped: the stages are kept and fire at the
next round, and only a stop of the loop's own task ends it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from services.monitor.timers import TimerWheel
from shared.clock import FixedClock

NOW = datetime(2026, 3, 10, 10, tzinfo=UTC)


async def test_a_cancelled_send_keeps_the_stages_and_the_loop() -> None:
    wheel = TimerWheel(FixedClock(NOW), max_sleep_s=0.01)
    wheel.assign([0], [])
    wheel.schedule(0, "C1", "C1-s", NOW - timedelta(seconds=1))
    attempts: list[list[str]] = []

    async def fire(due: list[tuple[int, str, str, float]]) -> None:
        attempts.append([stage_id for _, _, stage_id, _ in due])
        if len(attempts) == 1:  # the producer's thread dropped the send (a rebalance)
            dropped: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            dropped.cancel()
            await dropped

    loop = asyncio.create_task(wheel.run(fire))

    async def fired_again() -> None:
        while len(attempts) < 2:
            assert not loop.done(), "the timer loop ended"
            await asyncio.sleep(0.01)

    await asyncio.wait_for(fired_again(), timeout=5)
    assert attempts == [["C1-s"], ["C1-s"]]
    loop.cancel()
    with pytest.raises(asyncio.CancelledError):
        await loop
