"""Periodic loops of the notify service; one failed round is logged and retried at the next."""

from __future__ import annotations

import asyncio
import logging

from services.notify.handlers import Deps

log = logging.getLogger(__name__)


async def deliver_due(deps: Deps) -> None:
    """Resumes deliveries left pending by a crash, retries with backoff, sends deferred SMS."""
    while True:
        try:
            await deps.dispatcher.run_due_once()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - the job survives database hiccups
            log.warning("delivery worker pass failed: %s", exc)
        await asyncio.sleep(deps.settings.worker_poll_s)
