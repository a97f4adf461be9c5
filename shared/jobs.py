"""The one periodic loop every service's ``jobs.py`` runs its jobs in."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

K = TypeVar("K")

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
        await one_round(job, what=what)
        await asyncio.sleep(seconds)


async def one_round(job: Callable[[], Awaitable[object]], *, what: str) -> None:
    """One round of a periodic job: a failure is logged, never raised, so the loop carries on.

    That includes a ``CancelledError`` the job did not ask for: a call it awaits may be
    cancelled elsewhere (faust answers a consumer call from its own thread and drops it in a
    rebalance) without this task being cancelled, and letting it through would end the loop
    silently. Only the cancellation of the task running the loop (a stop) ends it."""
    try:
        await job()
    except asyncio.CancelledError:
        if stopping():
            raise
        log.warning("%s failed: a call it awaited was cancelled", what)
    except Exception as exc:  # noqa: BLE001 - a periodic job survives a failed round
        log.warning("%s failed: %s", what, exc)


async def each(keys: Iterable[K], step: Callable[[K], Awaitable[object]], *, what: str) -> int:
    """One sweep: ``step`` for every key, in order. A key whose step fails is logged with
    ``what`` and left for the next sweep; the others go on (one case must not stop the rest).
    The number of steps that did something (returned a true value or a count)."""
    done = 0
    for key in keys:
        try:
            result = await step(key)
        except Exception:  # noqa: BLE001 - one key must not stop the others; retried next sweep
            log.exception("%s of %s failed; left for the next sweep", what, key)
            continue
        done += result if isinstance(result, int) else bool(result)
    return done


def stopping() -> bool:
    """Whether the running task is being cancelled (a stop), as opposed to a ``CancelledError``
    raised by a call it awaited that was cancelled elsewhere (see ``one_round``)."""
    task = asyncio.current_task()
    return task is None or task.cancelling() > 0


async def stop_task(task: asyncio.Task[Any] | None) -> None:
    """Cancel ``task`` and wait for it to end; how it ends (cancelled, or a failure on the way)
    does not stop the shutdown of whatever comes after it."""
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task
