"""Held items of a bundle released, or cancelled, when the items they wait for are decided.

Intake already consumes ``case.decided`` to track cases; the same handler, once the decision is
applied, advances the case's bundle (if any): an item whose upstream items are all approved is
released (its materials provided by their e-licences added, its ``case.submitted`` published in
the transaction that marks it submitted); an item whose upstream item was decided otherwise,
or cancelled, is cancelled (the rule of services/intake/domain/bundle_case.py). When every item
is decided or cancelled the bundle is closed and its clock stopped. Each step is idempotent: a
redelivered decision finds nothing held, and the bundle closes once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from services.intake.domain import CaseRecord
from services.intake.domain import bundle_case as rules
from services.intake.domain.bundle_case import BundleApplication, BundledCase
from services.intake.domain.licences import from_licence
from services.intake.domain.owed import still_owed
from services.intake.handlers import bundle_clock, tracking
from services.intake.handlers.bundle_events import bundle_clock_closed, submitted_envelope
from services.intake.handlers.deps import Deps
from services.intake.handlers.tracking import update_case
from services.intake.metrics import BUNDLES
from shared.contracts import CaseDecided, CaseSubmitted, Envelope, Material

log = logging.getLogger(__name__)


async def on_case_decided(deps: Deps, envelope: Envelope, data: CaseDecided) -> None:
    """Track the decision (tracking.on_case_decided), then advance the case's bundle."""
    await tracking.on_case_decided(deps, envelope, data)
    case = await deps.store.get_case(data.case_id)
    if case is not None and case.bundle_id is not None:
        # a decided item stops the bundle clock no more; then the held items move on
        await bundle_clock.follow(deps, case.bundle_id, at=data.decided_at, causation=envelope)
        await advance_bundle(deps, case.bundle_id, causation=envelope)


async def advance_bundle(deps: Deps, bundle_id: str, *, causation: Envelope | None) -> None:
    app = await deps.bundles.get_application(bundle_id)
    if app is None:
        log.warning("case of unknown bundle %s", bundle_id)
        return
    cases = await _cases(deps, app)
    # A cancellation may cancel the items waiting for the cancelled one: repeat until still.
    for _ in range(len(app.items)):
        steps = rules.next_steps(app, cases)
        if not steps:
            break
        for case_id, step in steps:
            updated = await _step(deps, app, cases, case_id, step, causation)
            if updated is not None:
                cases[case_id] = updated
    state = rules.outcome(app, cases)
    if state != "in_progress" and app.closed_at is None:
        at = deps.clock.now()
        closed = bundle_clock_closed(app, state, at, causation)
        if await deps.bundles.close_application(bundle_id, outcome=state, at=at, events=[closed]):
            deps.wake()
            BUNDLES.labels(app.bundle_code, state).inc()
            log.info("bundle %s closed: %s", bundle_id, state)


async def _cases(deps: Deps, app: BundleApplication) -> dict[str, CaseRecord]:
    found = {cid: await deps.store.get_case(cid) for cid in app.case_ids}
    return {cid: case for cid, case in found.items() if case is not None}


async def _step(
    deps: Deps,
    app: BundleApplication,
    cases: dict[str, CaseRecord],
    case_id: str,
    step: str,
    causation: Envelope | None,
) -> CaseRecord | None:
    now = deps.clock.now()
    change: Callable[[CaseRecord], CaseRecord]
    if step == "cancel":
        change = lambda c: rules.cancelled(c, at=now)  # noqa: E731
        updated = await update_case(deps, case_id, change, actor="intake (bundle)")
        BUNDLES.labels(app.bundle_code, "cancelled").inc()
        log.info("bundle %s: %s cancelled", app.bundle_id, case_id)
        return updated
    entry = next(i for i in app.items if i.case_id == case_id)
    provided = _provided(app, entry, cases)

    def events(c: CaseRecord) -> list[Envelope]:
        if c.held_submission is None:
            return []
        owed = still_owed(c)
        data = CaseSubmitted.model_validate(
            {
                **c.held_submission,
                "materials": [m.model_dump(mode="json") for m in c.materials],
                "owed": None if owed is None else owed.model_dump(mode="json"),
            }
        )
        return [submitted_envelope(data, now, causation)]

    updated = await update_case(
        deps,
        case_id,
        lambda c: rules.released(c, provided=provided, at=now),
        events,
        actor="intake (bundle)",
        causation=causation,
    )
    deps.wake()
    BUNDLES.labels(app.bundle_code, "released").inc()
    log.info("bundle %s: %s released", app.bundle_id, case_id)
    return updated


def _provided(
    app: BundleApplication, entry: BundledCase, cases: dict[str, CaseRecord]
) -> list[Material]:
    """The materials the upstream items' e-licences provide (none where no licence came:
    approval's pre-review then asks for the material)."""
    found: list[Material] = []
    for given in entry.provided:
        upstream = app.entry(given.from_item)
        case = cases.get(upstream.case_id) if upstream is not None else None
        if case is not None and case.licence is not None:
            found.append(from_licence(given.material, case.licence))
    return found
