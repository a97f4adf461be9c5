"""The catalog on the bus (``egov.catalog``, compacted, keyed by item code): each item's
definition is published with the change that writes it, and the whole current catalog again
at start-up, so a consumer that joins late, or a topic created after the items, still holds
every item. The event id is derived from the item's code and version: publishing the same
version twice queues it once (the outbox's unique id), and a consumer keeps the highest
version of a code, whatever the order."""

from __future__ import annotations

import logging
from datetime import datetime

from services.intake.domain import ServiceItem
from services.intake.handlers.deps import SOURCE, Deps
from shared.contracts import CatalogItemChanged, Envelope, derived_event_id, make_envelope

log = logging.getLogger(__name__)


def catalog_event(item: ServiceItem, *, at: datetime) -> Envelope:
    """``item`` as the bus carries it; ``at``: when this version is published."""
    data = CatalogItemChanged(
        item_code=item.code,
        version=item.version,
        name=item.name,
        department=item.department,
        region=item.region,
        handling_level=item.handling_level,
        service_type=item.service_type,
        fully_online=item.fully_online,
        visits_required=item.visits_required,
        cross_region=item.cross_region,
        status=item.status.value,
        promised_limit=item.promised_limit,
        statutory_limit=item.statutory_limit,
        changed_at=at,
    )
    event_id = derived_event_id("catalog.item.changed", item.code, str(item.version))
    return make_envelope(data, source=SOURCE, time=at, id=event_id)


async def publish_catalog(deps: Deps) -> int:
    """Queue every item, closed ones too, as it is now (idempotent); returns how many."""
    items = await deps.store.list_items(region=None, department=None, include_closed=True)
    at = deps.clock.now()
    await deps.store.publish([catalog_event(item, at=at) for item in items])
    deps.wake()  # the outbox relay
    log.info("catalog: %d items published on the bus", len(items))
    return len(items)
