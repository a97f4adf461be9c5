"""What one consumed event produces is written in the fewest commands (issue 22): its deliveries
at once, the inbox items due now with the deliveries that send them and their outcome events in
the same transaction, all or nothing; the event handled again adds nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

import tests.unit.notify.notify_samples as s
from services.notify.channels import InboxChannel
from services.notify.domain import ChannelName
from services.notify.settings import NotifySettings
from shared.contracts import Envelope
from tests.unit.notify.notify_world import NOON, World, build_world

APPLICANT = s.applicant_id()
DELIVERED = "gov.egov.notification.delivered.v1"


@pytest.fixture
async def world(settings: NotifySettings) -> World:
    world = await build_world(settings)
    world.deps.dispatcher.channels[ChannelName.INBOX] = InboxChannel(world.inbox, world.clock)
    return world


def submitted(case_id: str = "C1") -> Envelope:
    return s.envelope(s.case_submitted(case_id, NOON), NOON - timedelta(seconds=2))


def delivered(world: World) -> dict[str, int]:
    out: dict[str, int] = {}
    for e in world.deliveries.events:
        if e.type == DELIVERED:
            out[e.data["channel"]] = out.get(e.data["channel"], 0) + 1
    return out


async def test_the_inbox_item_is_sent_by_the_transaction_that_records_the_deliveries(
    world: World,
) -> None:
    await world.handle(submitted())
    assert world.deliveries.transactions == 1
    [item] = world.inbox.items.values()
    assert (item["owner"], item["case_id"], item["template"]) == (APPLICANT, "C1", "case_received")
    by_channel = {d["channel"]: d for d in world.deliveries.docs.values()}
    assert by_channel["inbox"]["status"] == "sent" and by_channel["inbox"]["attempts"] == 1
    assert by_channel["inbox"]["_id"] == item["_id"]
    # SMS and email go out through their channels after the recording, as before.
    assert [m.channel for m in world.sent(ChannelName.SMS) + world.sent(ChannelName.EMAIL)] == [
        ChannelName.SMS,
        ChannelName.EMAIL,
    ]
    assert delivered(world) == {"inbox": 1, "sms": 1, "email": 1}
    [inbox_event] = [e for e in world.deliveries.events if e.data["channel"] == "inbox"]
    assert (inbox_event.data["latency_s"], inbox_event.data["attempts"]) == (2.0, 1)


async def test_the_event_handled_again_sends_nothing_twice(world: World) -> None:
    event = submitted()
    await world.handle(event)
    await world.handle(event)  # a redelivery that got past the dedupe (crash before its mark)
    assert world.deliveries.transactions == 1
    assert len(world.inbox.items) == 1 and len(world.deliveries.docs) == 3
    assert delivered(world) == {"inbox": 1, "sms": 1, "email": 1}
    assert len(world.sent(ChannelName.SMS)) == 1


async def test_a_recording_that_fails_leaves_nothing_and_the_redelivery_sends_it(
    world: World,
) -> None:
    real = world.deliveries.record

    async def broken(*args: object, **kwargs: object) -> bool:
        raise ConnectionError("primary stepped down")

    world.deliveries.record = broken  # type: ignore[method-assign]
    event = submitted()
    with pytest.raises(ConnectionError):
        await world.handle(event)  # not marked as handled: the consumer retries it
    assert world.inbox.items == {} and world.deliveries.docs == {}
    assert world.deliveries.events == []
    world.deliveries.record = real  # type: ignore[method-assign]
    await world.handle(event)
    assert len(world.inbox.items) == 1 and delivered(world) == {"inbox": 1, "sms": 1, "email": 1}


async def test_without_an_inbox_recipient_the_deliveries_are_one_plain_insert(
    world: World,
) -> None:
    # Fake channels (the other unit tests) send nothing while recording: all are attempted.
    plain = await build_world(world.deps.settings)
    await plain.handle(submitted())
    assert plain.deliveries.transactions == 0
    assert plain.inbox.items == {}
    assert {m.channel for m in plain.sent(ChannelName.INBOX)} == {ChannelName.INBOX}
    assert delivered(plain) == {"inbox": 1, "sms": 1, "email": 1}


async def test_a_push_delivery_recorded_now_is_sent_without_a_claim_and_only_by_its_writer(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The SMS and email deliveries are written leased to the process that records them, so it
    sends them at once without a claim (one command fewer each), and the delivery worker,
    passing while they are in flight, cannot take them and send them a second time."""
    claims: list[str] = []
    real_claim = world.deliveries.claim

    async def counted_claim(delivery_id: str, **kwargs: object) -> object:
        claims.append(delivery_id)
        return await real_claim(delivery_id, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(world.deliveries, "claim", counted_claim)
    email = world.channels[ChannelName.EMAIL]
    real_send = email.send
    worker_passes: list[int] = []

    async def send_while_the_worker_passes(message: object) -> object:
        worker_passes.append(await world.deps.dispatcher.run_due_once())
        return await real_send(message)  # type: ignore[arg-type]

    monkeypatch.setattr(email, "send", send_while_the_worker_passes)
    await world.handle(submitted())
    assert [m.template for m in world.sent(ChannelName.SMS)] == ["case_received"]
    assert [m.template for m in world.sent(ChannelName.EMAIL)] == ["case_received"]
    assert worker_passes == [0] and claims == []
    assert delivered(world) == {"inbox": 1, "sms": 1, "email": 1}


async def test_a_replayed_event_claims_what_was_recorded_before_and_sends_nothing_twice(
    world: World,
) -> None:
    event = submitted()
    await world.handle(event)
    await world.handle(event)  # past the dedupe: the same envelope again
    assert len(world.sent(ChannelName.SMS)) == 1 and len(world.sent(ChannelName.EMAIL)) == 1
    assert delivered(world) == {"inbox": 1, "sms": 1, "email": 1}
