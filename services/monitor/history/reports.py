"""The period queries behind the API and `egov assess`: rollup sums by unit, then the pure
assessment, bulletin and statistics."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from services.monitor.history import catalog
from services.monitor.history.assess import Counters
from services.monitor.history.bulletin import bulletin
from services.monitor.history.model import AssessmentModel, Period, region_prefix
from services.monitor.history.public import statistics


class Totals(Protocol):
    async def totals(
        self,
        since: Any,
        until: Any,
        *,
        by: str | None,
        region_prefix: str | None = None,
        **filters: str | None,
    ) -> list[dict[str, Any]]: ...

    async def breakdowns(
        self,
        since: Any,
        until: Any,
        dims: Sequence[str | None],
        *,
        region_prefix: str | None = None,
        **filters: str | None,
    ) -> dict[str | None, list[dict[str, Any]]]: ...

    async def offered(
        self, *, region_prefix: str | None = None, **filters: str | None
    ) -> list[catalog.Entry]: ...


async def units(
    history: Totals,
    period: Period,
    by: str,
    *,
    scope: str | None = None,
    **filters: str | None,
) -> dict[str, Counters]:
    """Each unit's counters over the period, within a region scope (None: everywhere), with
    the items it offers (catalog.py) added to those that had cases."""
    prefix = region_prefix(scope) if scope else None
    rows = await history.totals(period.since, period.until, by=by, region_prefix=prefix, **filters)
    items = catalog.units(await history.offered(region_prefix=prefix, **filters), by)
    found = catalog.with_catalog({str(r["key"]): r["c"] for r in rows}, items, every_unit=False)
    return dict(found)


async def assessment(
    history: Totals,
    model: AssessmentModel,
    period: Period,
    *,
    by: str,
    scope: str | None,
    at: datetime,
    **filters: str | None,
) -> dict[str, Any]:
    found = await units(history, period, by, scope=scope, **filters)
    return bulletin(found, model, period, by=by, scope=scope, at=at)


async def public_statistics(
    history: Totals,
    model: AssessmentModel,
    period: Period,
    *,
    region: str | None = None,
    **filters: str | None,
) -> dict[str, Any]:
    """``region``: that region and the regions under it, as in the assessment. The three
    breakdowns come from one read of the item rollups (not three reads of the period); the
    items offered (fully online, zero-visit) from the catalog, every unit that has any."""
    prefix = region_prefix(region) if region else None
    dims = ("region", "department", "item_code")
    found = await history.breakdowns(
        period.since, period.until, dims, region_prefix=prefix, **filters
    )
    items = await history.offered(region_prefix=prefix, **filters)
    by = {
        dim: catalog.with_catalog(
            {str(r["key"]): r["c"] for r in found[dim]}, catalog.units(items, dim), every_unit=True
        )
        for dim in dims
    }
    return statistics(by, model, period)
