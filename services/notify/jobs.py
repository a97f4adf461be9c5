"""Periodic loops of the notify service (shared.jobs)."""

from __future__ import annotations

from services.notify.handlers import Deps
from shared.jobs import every


async def deliver_due(deps: Deps) -> None:
    """Resumes deliveries left pending by a crash, retries with backoff, sends deferred SMS."""
    await every(
        deps.settings.worker_poll_s, deps.dispatcher.run_due_once, what="delivery worker pass"
    )
