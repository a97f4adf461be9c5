"""Periodic loops of the approval service, each calling a handler or the store (shared.jobs)."""

from __future__ import annotations

from services.approval import metrics
from services.approval.handlers import Deps, lapse_supplement_waits
from shared.jobs import every


async def lapse_loop(deps: Deps) -> None:
    """Supplement waits past their maximum lapse (the case is decided, the applicant told)."""
    await every(
        deps.settings.lapse_sweep_s,
        lambda: lapse_supplement_waits(deps),
        what="supplement-wait sweep",
    )


async def refresh_open_gauge(deps: Deps) -> None:
    """The open-stage gauge per department (a department with none left is set to 0)."""
    seen: set[str] = set()

    async def refresh() -> None:
        counts = await deps.store.open_stage_counts()
        for department in seen | set(counts):
            metrics.STAGES_OPEN.labels(department).set(counts.get(department, 0))
        seen.update(counts)

    await every(deps.settings.gauge_refresh_s, refresh, what="open-stage count")
