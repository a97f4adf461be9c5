"""The one periodic loop every service's ``jobs.py`` runs its jobs in."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger(__name__)


async def every(
    seconds: float,
    job: Callable[[], Awaitable[object]],
    *,
    what: str,
    wait_first: bool = False,
) -> None:
    """Run ``job`` every ``seconds`` for the life of the process (first at once, or after one
    interval with ``wait_first``). A failed round is logged and the job runs again at the next;
    only cancellation ends the loop."""
    if wait_first:
        await asyncio.sleep(seconds)
    while True:
        try:
            await job()
        except Exception as exc:  # noqa: BLE001 - a periodic job survives a failed round
            log.warning("%s failed: %s", what, exc)
        await asyncio.sleep(seconds)


async def stop_task(task: asyncio.Task[Any] | None) -> None:
    """Cancel ``task`` and wait for it to end; how it ends (cancelled, or a failure on the way)
    does not stop the shutdown of whatever comes after it."""
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task
