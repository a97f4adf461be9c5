"""Periodic loops of the credit service, each calling a handler (shared.jobs)."""

from __future__ import annotations

from services.credit import metrics
from services.credit.handlers import Deps, reevaluate_subjects
from shared.jobs import every


async def refresh_open_objections(deps: Deps) -> None:
    """The open-objection gauge, counted in the store."""

    async def refresh() -> None:
        metrics.OBJECTIONS_OPEN.set(await deps.store.open_objections())

    await every(deps.settings.gauge_refresh_s, refresh, what="open-objection count")


async def sweep_decay(deps: Deps) -> None:
    """Level changes that time alone causes (decay, end of publicity), published."""
    await every(
        deps.settings.reevaluate_every_s,
        lambda: reevaluate_subjects(deps),
        what="decay sweep",
        wait_first=True,
    )
