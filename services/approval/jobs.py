"""Periodic loops of the approval service, each calling a handler or the store (shared.jobs)."""

from __future__ import annotations

import logging

from services.approval import metrics
from services.approval.handlers import Deps, lapse_waits, purge_expired, seal_finished
from shared.jobs import every

log = logging.getLogger(__name__)


async def lapse_loop(deps: Deps) -> None:
    """Supplement waits past their maximum and owed-material (容缺) deadlines that passed lapse
    (the case is decided, the applicant told)."""
    await every(deps.settings.lapse_sweep_s, lambda: lapse_waits(deps), what="lapse sweep")


async def archive_loop(deps: Deps) -> None:
    """Finished cases not sealed yet are sealed (the lapse sweep's, or an action's whose store
    call failed); expired dossiers without a legal hold are deleted (docs/archive.md)."""

    async def sweep() -> None:
        # each sweep on its own: a failed seal must not keep the purge from running
        for step in (seal_finished, purge_expired):
            try:
                await step(deps)
            except Exception as exc:  # noqa: BLE001 - retried at the next sweep
                log.warning("archive sweep %s failed: %s", step.__name__, exc)

    await every(deps.settings.archive_sweep_s, sweep, what="archive sweep")


async def refresh_open_gauge(deps: Deps) -> None:
    """The open-stage gauge per department (a department with none left is set to 0)."""
    seen: set[str] = set()

    async def refresh() -> None:
        counts = await deps.store.open_stage_counts()
        for department in seen | set(counts):
            metrics.STAGES_OPEN.labels(department).set(counts.get(department, 0))
        seen.update(counts)

    await every(deps.settings.gauge_refresh_s, refresh, what="open-stage count")
