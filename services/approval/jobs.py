"""Periodic loops of the approval service, each calling a handler or the store; one failed round
is logged and retried at the next."""

from __future__ import annotations

import asyncio
import logging

from services.approval import metrics
from services.approval.handlers import Deps, lapse_supplement_waits

log = logging.getLogger(__name__)


async def lapse_loop(deps: Deps) -> None:
    """Supplement waits past their maximum lapse (the case is decided, the applicant told)."""
    while True:
        try:
            await lapse_supplement_waits(deps)
        except Exception as exc:  # noqa: BLE001 - retried at the next sweep
            log.warning("supplement-wait sweep failed: %s", exc)
        await asyncio.sleep(deps.settings.lapse_sweep_s)


async def refresh_open_gauge(deps: Deps) -> None:
    """The open-stage gauge per department (a department with none left is set to 0)."""
    seen: set[str] = set()
    while True:
        try:
            counts = await deps.store.open_stage_counts()
            for department in seen | set(counts):
                metrics.STAGES_OPEN.labels(department).set(counts.get(department, 0))
            seen |= set(counts)
        except Exception as exc:  # noqa: BLE001 - a gauge must not stop the service
            log.warning("open-stage count failed: %s", exc)
        await asyncio.sleep(deps.settings.gauge_refresh_s)
