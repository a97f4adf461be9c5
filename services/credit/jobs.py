"""Periodic loops of the credit service, each calling a handler; one failed round is logged and
retried at the next."""

from __future__ import annotations

import asyncio
import logging

from services.credit import metrics
from services.credit.handlers import Deps, reevaluate_subjects

log = logging.getLogger(__name__)


async def refresh_open_objections(deps: Deps) -> None:
    """The open-objection gauge, counted in the store."""
    while True:
        try:
            metrics.OBJECTIONS_OPEN.set(await deps.store.open_objections())
        except Exception as exc:  # noqa: BLE001 - a gauge must not stop the service
            log.warning("open-objection count failed: %s", exc)
        await asyncio.sleep(deps.settings.gauge_refresh_s)


async def sweep_decay(deps: Deps) -> None:
    """Level changes that time alone causes (decay, end of publicity), published."""
    while True:
        await asyncio.sleep(deps.settings.reevaluate_every_s)
        try:
            await reevaluate_subjects(deps)
        except Exception as exc:  # noqa: BLE001 - retried at the next sweep
            log.warning("decay sweep failed: %s", exc)
