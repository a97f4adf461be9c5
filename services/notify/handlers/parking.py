"""Events that arrive before the case (or bundle) they need: parked under its id until its
registration brings the contact data, then handled in the order they were parked.

The topics are read at once (a case's registration on egov.cases, its stage events on
egov.stages), so the registration can be saved between a handler's read that found no case
and its parking. The registration only looks for parked events that were flagged before it
saved (``ProjectionStore.save_case``), so parking reads the case again afterwards and handles
what it parked itself when the case arrived meanwhile (park, then recheck): whichever of the
two comes second sees the other, and nothing stays parked for good. Both may handle the same
event; its deliveries have derived ids, so it is told once.
"""

from __future__ import annotations

import logging

from services.notify.handlers.deps import Deps
from shared.contracts import Envelope, model_for

log = logging.getLogger(__name__)


async def park(deps: Deps, key: str, envelope: Envelope) -> bool:
    """Park ``envelope`` until ``key``'s contact data arrives. True when it arrived meanwhile
    and the parked events were handled here (the caller's event among them): the caller stops."""
    await deps.projections.park(key, envelope, deps.clock.now())
    if await deps.projections.get_case(key) is None:
        log.info("%s parked until the contact data of %s arrives", envelope.type, key)
        return False
    await handle_parked(deps, key)
    return True


async def handle_parked(deps: Deps, key: str) -> None:
    """Handle the events parked under ``key``, oldest first, then drop them.

    Handled first, dropped after: a failure (or a crash) on the way leaves them parked and the
    case flagged, so the registration's redelivery handles them again (each handler's
    deliveries have derived ids: what went out before the failure goes out once)."""
    from services.notify.handlers import HANDLERS  # the routing table imports the handlers

    parked = await deps.projections.parked_events(key)
    for event in parked:
        handler = HANDLERS.get(event.type)
        if handler is not None:
            await handler(deps, event, model_for(event.type).model_validate(event.data))
    await deps.projections.drop_parked(key, [e.id for e in parked])
