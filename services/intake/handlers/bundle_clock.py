"""The bundle clock following its items' stops, and recounted on a published holiday schedule
(the rules: services/intake/domain/bundle_clock.py).

Intake already consumes its cases' ``stage.suspended``, ``stage.resumed``, ``stage.closed`` and
``case.decided`` to track them; once one is applied to an item of a bundle, the bundle clock is
brought in line with its items: ``stage.suspended`` or ``stage.resumed`` for
``<bundle id>:case_promised`` on egov.stages, written with the clock in one transaction, with
ids derived from the bundle id and the stop's number (a redelivered event finds the clock
already following and publishes nothing). The monitor supervises it like any case clock.
"""

from __future__ import annotations

import logging
from datetime import datetime

from services.intake.domain import bundle_clock as rules
from services.intake.handlers import tracking
from services.intake.handlers.deps import SOURCE, Deps
from shared import jobs
from shared.contracts import (
    Envelope,
    StageClosed,
    StageResumed,
    StageSuspended,
    derived_event_id,
    make_envelope,
)
from shared.errors import StaleVersion

log = logging.getLogger(__name__)


async def on_stage_suspended(deps: Deps, envelope: Envelope, data: StageSuspended) -> None:
    await tracking.on_stage_suspended(deps, envelope, data)
    await follow_items(deps, data.case_id, at=data.suspended_at, causation=envelope)


async def on_stage_resumed(deps: Deps, envelope: Envelope, data: StageResumed) -> None:
    await tracking.on_stage_resumed(deps, envelope, data)
    at = data.clock_resumed_at or data.resumed_at  # past a stop's maximum it ran again then
    await follow_items(deps, data.case_id, at=at, causation=envelope)


async def on_stage_closed(deps: Deps, envelope: Envelope, data: StageClosed) -> None:
    await tracking.on_stage_closed(deps, envelope, data)
    await follow_items(deps, data.case_id, at=data.closed_at, causation=envelope)


async def follow_items(
    deps: Deps, case_id: str, *, at: datetime, causation: Envelope | None
) -> None:
    case = await deps.store.get_case(case_id)
    if case is not None and case.bundle_id is not None:
        await follow(deps, case.bundle_id, at=at, causation=causation)


async def follow(
    deps: Deps,
    bundle_id: str,
    *,
    at: datetime,
    causation: Envelope | None,
    attempts: int = 5,
) -> None:
    """The bundle clock stopped or run again as its items' stops say, once."""
    for _ in range(attempts):
        app = await deps.bundles.get_application(bundle_id)
        if app is None:
            return
        found = {cid: await deps.store.get_case(cid) for cid in app.case_ids}
        cases = {cid: c for cid, c in found.items() if c is not None}
        updated, change = rules.followed(app, cases, at=at, calendar=deps.calendar)
        if change is None:
            return
        kind = "suspended" if isinstance(change, StageSuspended) else "resumed"
        key = derived_event_id("bundle.clock", bundle_id, kind, str(len(updated.clock_stops)))
        event = make_envelope(
            change, source=SOURCE, time=deps.clock.now(), causation=causation, id=key
        )
        if await deps.bundles.update_clock(updated, expected_seq=app.clock_seq, events=[event]):
            deps.wake()
            log.info("bundle %s: clock %s", bundle_id, kind)
            return
    raise StaleVersion(f"bundle {bundle_id} kept changing; giving up after {attempts} attempts")


async def recompute_bundle_clocks(deps: Deps) -> int:
    """After a holiday schedule is published: each open bundle clock with a provisional due
    counted again (``bundle_clock.recounted``); ``deadline.changed`` (``kind: stage``, the
    bundle clock's stage id) where it moved, once per calendar version. Returns how many."""
    return await jobs.each(
        await deps.bundles.clocks_to_recompute(deps.calendar.version),
        lambda bundle_id: _recount(deps, bundle_id),
        what="recounting the bundle clock",
    )


async def _recount(deps: Deps, bundle_id: str) -> bool:
    app = await deps.bundles.get_application(bundle_id)
    if app is None:
        return False
    now = deps.clock.now()
    updated, change = rules.recounted(app, calendar=deps.calendar, at=now)
    if updated is app:
        return False
    events = []
    if change is not None:
        key = derived_event_id(app.clock_stage_id, "deadline", change.calendar_version)
        events.append(make_envelope(change, source=SOURCE, time=now, id=key))
    written = await deps.bundles.update_clock(updated, expected_seq=app.clock_seq, events=events)
    return written and change is not None
