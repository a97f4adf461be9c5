"""Parking stays race-free when the consumer handles a case's topics at once: a registration
saved between a handler's read (no case yet) and its parking must not leave the event parked
for good (services/notify/handlers/parking.py, park then recheck)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

import tests.unit.notify.notify_samples as s
from services.notify.domain import ChannelName
from shared.contracts import Envelope, EventData
from tests.unit.notify.notify_world import NOON, World
from tests.unit.notify.test_notify_bundles import BUNDLE, bundle_closed, bundled


def registration_lands_before_the_parking(world: World, registration: EventData) -> None:
    """The first park of the world waits until ``registration`` is handled completely: the
    case is saved while nothing is flagged, so the registration finds nothing parked."""
    real: Callable[[str, Envelope, datetime], Awaitable[None]] = world.projections.park
    pending = [registration]

    async def park_after_registration(case_id: str, envelope: Envelope, at: datetime) -> None:
        if pending:
            await world.handle(s.envelope(pending.pop(), NOON))
        await real(case_id, envelope, at)

    world.projections.park = park_after_registration  # type: ignore[method-assign]


def sms_templates(world: World) -> list[str]:
    return sorted(m.template for m in world.sent(ChannelName.SMS))


async def test_a_stage_event_parked_just_after_its_case_registered_is_still_told(
    world: World,
) -> None:
    registration_lands_before_the_parking(world, s.case_submitted("C1", NOON))
    await world.handle(s.envelope(s.prereview_done("C1", NOON), NOON))
    assert sms_templates(world) == ["case_received", "prereview_done"]
    assert world.projections.parked == []


async def test_a_deadline_change_parked_just_after_its_case_registered_reaches_the_applicant(
    world: World,
) -> None:
    registration_lands_before_the_parking(world, s.case_submitted("C1", NOON))
    change = s.deadline_changed("C1", "S1", NOON, assignee="cq-scj-h02")
    await world.handle(s.envelope(change, NOON))
    assert sms_templates(world) == ["case_received", "deadline_changed"]
    assert world.projections.parked == []


async def test_a_bundle_s_end_parked_just_after_its_first_item_registered_is_still_told(
    world: World,
) -> None:
    registration_lands_before_the_parking(world, bundled("C1"))
    await world.handle(s.envelope(bundle_closed("completed"), NOON))
    assert sms_templates(world) == ["bundle_finished", "bundle_received"]
    assert [c for c, _ in world.projections.parked] == []
    assert (await world.projections.get_case(BUNDLE)) is not None
