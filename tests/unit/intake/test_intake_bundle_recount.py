"""A bundle clock whose due instant was counted into a year whose holiday schedule was not yet
published (``due_provisional``) is recounted when the schedule is published, its stops replayed,
and ``deadline.changed`` tells the monitor, once per calendar version."""

from __future__ import annotations

from datetime import datetime, timedelta

from services.intake.handlers.bundle_clock import recompute_bundle_clocks
from shared.clock import SHANGHAI
from shared.contracts import DeadlineChanged, StageOpened, StageResumed
from tests.unit.intake.intake_fakes import Wiring
from tests.unit.intake.test_intake_bundle_clock import (
    bundle_events,
    item_clock,
    run,
    started,
    stop,
    view,
)
from tests.unit.intake.test_intake_bundles import LICENCE, decide
from tests.unit.intake.test_intake_provisional import FIXTURE_2027

DEC_30 = datetime(2026, 12, 30, 9, 30, tzinfo=SHANGHAI)  # a Wednesday


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


async def test_a_provisional_bundle_clock_is_recounted_with_its_stops_on_publication() -> None:
    w = Wiring()
    w.clock.set(DEC_30)
    bundle_id, ids = await started(w)
    [opened] = bundle_events(w, StageOpened, bundle_id)
    # Dec 31, (Jan 1 statutory holiday), Jan 4: counted into 2027, not yet published
    assert opened.due_at == local("2027-01-04T23:59:59") and opened.due_provisional
    await item_clock(w, ids[LICENCE])
    w.clock.advance(timedelta(hours=1))
    await stop(w, ids[LICENCE], 1)
    w.clock.advance(timedelta(days=1))  # one working day stopped
    await run(w, ids[LICENCE], 1)
    [resumed] = bundle_events(w, StageResumed, bundle_id)
    assert resumed.due_at == local("2027-01-05T23:59:59") and resumed.due_provisional
    assert await recompute_bundle_clocks(w.deps) == 0  # the same calendar: nothing
    w.deps.calendar.publish(FIXTURE_2027)  # Jan 4 a holiday after all
    assert await recompute_bundle_clocks(w.deps) == 1
    [changed] = [
        DeadlineChanged.model_validate(e.data)
        for e in w.store.events_of(DeadlineChanged.event_type)
    ]
    assert changed.case_id == bundle_id and changed.kind == "stage"
    assert changed.stage_id == opened.stage_id and changed.department == "500000-SCJ"
    assert changed.old_due_at == resumed.due_at
    assert changed.new_due_at == local("2027-01-06T23:59:59")  # the stop replayed, Jan 4 off
    assert changed.due_provisional is False and changed.applicant_told
    assert changed.calendar_version == w.deps.calendar.version
    app = w.bundles.applications[bundle_id]
    assert app.due_at == changed.new_due_at and not app.due_provisional
    assert (await view(w, bundle_id))["deadline"] == changed.new_due_at.isoformat()
    assert await recompute_bundle_clocks(w.deps) == 0  # once per calendar version


async def test_a_closed_or_firm_bundle_clock_is_not_recounted() -> None:
    w = Wiring()
    firm, _ = await started(w)  # March: the year is published
    assert not w.bundles.applications[firm].due_provisional
    w.clock.set(DEC_30)
    closed, ids = await started(w, key="bundle-key-2")
    await decide(w, ids[LICENCE], LICENCE, "denied")  # the bundle ends: its clock closes
    assert w.bundles.applications[closed].closed_at is not None
    w.deps.calendar.publish(FIXTURE_2027)
    assert await recompute_bundle_clocks(w.deps) == 0
    assert w.store.events_of(DeadlineChanged.event_type) == []
