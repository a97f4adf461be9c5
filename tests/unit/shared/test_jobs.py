"""shared.jobs: a periodic job survives a failed round and only cancellation stops it; stop_task
ends a task whatever it raises on the way out."""

from __future__ import annotations

import asyncio
import logging

import pytest

from shared.jobs import each, every, one_round, stop_task


async def test_a_failed_round_is_logged_and_the_job_runs_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    rounds: list[int] = []

    async def job() -> None:
        rounds.append(len(rounds))
        if len(rounds) == 1:
            raise RuntimeError("database away")

    with caplog.at_level(logging.WARNING):
        task = asyncio.create_task(every(0.001, job, what="the sweep"))
        while len(rounds) < 3:
            await asyncio.sleep(0.001)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert [r.getMessage() for r in caplog.records] == ["the sweep failed: database away"]


async def test_a_cancelled_call_inside_a_round_does_not_end_the_loop(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A future cancelled by someone else (faust's consumer thread dropping a call in a
    rebalance) raises CancelledError in the job; the loop must survive it, and still stop when
    its own task is cancelled."""
    rounds: list[int] = []

    async def job() -> None:
        rounds.append(len(rounds))
        if len(rounds) == 1:
            dropped: asyncio.Future[int] = asyncio.get_running_loop().create_future()
            dropped.cancel()
            await dropped

    with caplog.at_level(logging.WARNING):
        task = asyncio.create_task(every(0.001, job, what="the lag refresh"))

        async def three_rounds() -> None:
            while len(rounds) < 3:
                assert not task.done(), "the loop ended"
                await asyncio.sleep(0.001)

        await asyncio.wait_for(three_rounds(), timeout=5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert [r.getMessage() for r in caplog.records] == [
        "the lag refresh failed: a call it awaited was cancelled"
    ]


async def test_a_round_cancelled_with_its_task_raises() -> None:
    started = asyncio.Event()

    async def job() -> None:
        started.set()
        await asyncio.Event().wait()

    task = asyncio.create_task(one_round(job, what="scan"))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert task.cancelled()


async def test_wait_first_runs_the_job_only_after_one_interval() -> None:
    ran = asyncio.Event()

    async def job() -> None:
        ran.set()

    task = asyncio.create_task(every(0.05, job, what="decay", wait_first=True))
    await asyncio.sleep(0.01)
    assert not ran.is_set()
    await asyncio.wait_for(ran.wait(), timeout=5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_stop_task_ends_a_task_even_one_that_fails_on_its_way_out() -> None:
    cleaned: list[str] = []

    async def forever() -> None:
        await asyncio.Event().wait()

    async def fails_when_cancelled() -> None:
        try:
            await asyncio.Event().wait()
        finally:
            cleaned.append("ran")
            raise RuntimeError("cleanup failed")

    quiet, failing = asyncio.create_task(forever()), asyncio.create_task(fails_when_cancelled())
    await asyncio.sleep(0)
    await stop_task(quiet)
    await stop_task(failing)
    await stop_task(None)
    assert quiet.cancelled() and failing.done() and cleaned == ["ran"]


async def test_each_goes_on_past_a_failed_key_and_counts_what_did_something(
    caplog: pytest.LogCaptureFixture,
) -> None:
    seen: list[str] = []

    async def step(key: str) -> object:
        seen.append(key)
        if key == "C2":
            raise RuntimeError("store away")
        return {"C1": True, "C3": False, "C4": 2}[key]

    with caplog.at_level(logging.ERROR):
        done = await each(["C1", "C2", "C3", "C4"], step, what="sealing the dossier")

    assert seen == ["C1", "C2", "C3", "C4"]  # the failure of C2 did not stop C3 and C4
    assert done == 3  # C1 (true) + C4 (a count of 2); C3 did nothing, C2 failed
    assert [r.getMessage() for r in caplog.records] == [
        "sealing the dossier of C2 failed; left for the next sweep"
    ]


async def test_each_lets_a_stop_through() -> None:
    async def step(key: str) -> bool:
        raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        await each(["C1"], step, what="sealing the dossier")
