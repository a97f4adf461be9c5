"""A bundle (一件事) is spoken of as one thing: one "received" message for the whole bundle
(not one per item, released items included), each item's decision as the bundle's progress,
one message at the bundle's end; webhooks still carry every case event as it is."""

from __future__ import annotations

from collections import Counter

import pytest

import tests.unit.notify.notify_samples as s
from services.notify.domain import ChannelName
from services.notify.settings import NotifySettings
from shared.contracts import (
    BundleInfo,
    BundleItem,
    CaseDecided,
    CaseSubmitted,
    StageClosed,
    StageKind,
)
from tests.unit.notify.notify_world import NOON, World
from tests.unit.notify.test_notify_webhooks import DECIDED, SUBMITTED, add_subscription

BUNDLE = "YJS-500000-20260310-000001"
INFO = BundleInfo(
    code="500000-YJS-001",
    name="开办企业一件事",
    items=[
        BundleItem(case_id="C1", item_code="500000-SCJ-001", item_name="企业设立登记"),
        BundleItem(case_id="C2", item_code="500000-GAJ-003", item_name="印章刻制备案"),
    ],
)


@pytest.fixture
def settings() -> NotifySettings:
    """The module's applicant hears five things in a row: the default rate limit lets them."""
    return NotifySettings()


def bundled(case_id: str) -> CaseSubmitted:
    data = s.case_submitted(case_id, NOON)
    [item] = [i for i in INFO.items if i.case_id == case_id]
    update = {"bundle_id": BUNDLE, "bundle": INFO, "item_name": item.item_name}
    return data.model_copy(update=update)


def decided(case_id: str, decision: str = "approved") -> CaseDecided:
    return s.case_decided(case_id, NOON, decision)


def bundle_closed(outcome: str) -> StageClosed:
    return StageClosed(
        case_id=BUNDLE,
        stage_id=f"{BUNDLE}:case_promised",
        stage=StageKind.CASE_PROMISED,
        outcome=outcome,  # type: ignore[arg-type]
        reason=f"bundle {outcome}",
        department="500000-SCJ",
        closed_at=NOON,
    )


async def handle(world: World, *events: object) -> None:
    for data in events:
        await world.handle(s.envelope(data, NOON))  # type: ignore[arg-type]


def templates(world: World, channel: ChannelName = ChannelName.SMS) -> list[str]:
    return [m.template for m in world.sent(channel)]


async def test_the_applicant_hears_of_the_bundle_once_not_of_each_item(world: World) -> None:
    await add_subscription(world, "tax", event_types=(SUBMITTED, DECIDED))
    first = s.envelope(bundled("C1"), NOON)
    for envelope in (first, first):  # and a redelivery
        await world.handle(envelope)
    await handle(world, bundled("C2"))  # the seal, released later
    assert templates(world) == ["bundle_received"]
    assert Counter(m.channel for m in world.channels[ChannelName.EMAIL].sent) == {"email": 1}
    [email] = world.sent(ChannelName.EMAIL)
    assert BUNDLE in email.body and "企业设立登记、印章刻制备案" in email.body
    assert email.subject == "一件事申请已收到：开办企业一件事"
    # integrators still receive each case's own event
    hooked = [m.payload for m in world.sent(ChannelName.WEBHOOK)]
    assert len(hooked) == 2 and all(b'"case_id":"C' in p for p in hooked)


async def test_each_decision_is_the_bundles_progress_and_its_end_is_told_once(
    world: World,
) -> None:
    await handle(world, bundled("C1"), bundled("C2"))
    await handle(world, decided("C1"), decided("C2", "denied"))
    assert templates(world) == ["bundle_received", "bundle_progress", "bundle_progress"]
    progress = [m for m in world.sent(ChannelName.EMAIL) if m.template == "bundle_progress"]
    assert "印章刻制备案" in progress[1].subject and "不予许可" in progress[1].subject
    assert "不再办理" in progress[1].body and BUNDLE in progress[1].body
    await handle(world, bundle_closed("failed"))
    assert templates(world)[-1] == "bundle_finished"
    [end] = [m for m in world.sent(ChannelName.EMAIL) if m.template == "bundle_finished"]
    assert end.subject == "一件事未能全部办结：开办企业一件事" and "评价" in end.body


async def test_a_completed_bundle_says_all_done(world: World) -> None:
    await handle(world, bundled("C1"), bundle_closed("completed"))
    [end] = [m for m in world.sent(ChannelName.EMAIL) if m.template == "bundle_finished"]
    assert end.subject == "一件事已全部办结：开办企业一件事"
    assert "企业设立登记、印章刻制备案均已准予" in end.body


async def test_lone_cases_and_other_stages_are_told_as_before(world: World) -> None:
    await handle(world, s.case_submitted("C9", NOON), s.case_decided("C9", NOON))
    closed = bundle_closed("completed").model_copy(update={"case_id": "C9"})
    await handle(world, closed)
    assert templates(world) == ["case_received", "case_decided"]
