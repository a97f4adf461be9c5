"""A bundle (一件事) is spoken of as one thing: one "received" message for the whole bundle
(not one per item, released items included), each item's decision as the bundle's progress,
one message at the bundle's end; webhooks still carry every case event as it is."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import UTC, datetime

import pytest

import tests.unit.notify.notify_samples as s
from services.notify.domain import ChannelName
from services.notify.settings import NotifySettings
from shared.contracts import (
    BundleInfo,
    BundleItem,
    BundleItemOwed,
    CaseDecided,
    CaseSubmitted,
    DeadlineChanged,
    Envelope,
    OwedMaterial,
    StageClosed,
    StageKind,
    derived_event_id,
    make_envelope,
)
from tests.support import events
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


async def test_the_received_message_lists_what_each_item_accepted_with_gaps_owes(
    world: World,
) -> None:
    owed = BundleItemOwed(
        materials=[OwedMaterial(code="premises", name="住所（经营场所）使用证明")],
        due_at=datetime(2026, 3, 24, 15, 59, 59, tzinfo=UTC),  # 23:59:59 in Shanghai
        due_provisional=False,
    )
    items = [INFO.items[0], INFO.items[1].model_copy(update={"owed": owed})]
    info = INFO.model_copy(update={"items": items})
    await handle(world, bundled("C1").model_copy(update={"bundle": info}))
    [email] = world.sent(ChannelName.EMAIL)
    assert "印章刻制备案：住所（经营场所）使用证明，2026-03-24 23:59 前补交" in email.body
    assert "企业设立登记：" not in email.body  # it owes nothing
    [sms] = world.sent(ChannelName.SMS)
    assert "印章刻制备案须于03-24前补交住所（经营场所）使用证明" in sms.body


async def test_nothing_owed_says_nothing_of_gaps(world: World) -> None:
    await handle(world, bundled("C1"))
    [email] = world.sent(ChannelName.EMAIL)
    assert "容缺受理" not in email.body and "补交" not in email.body


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
    # a lone case's own promise closing before its registration waits for it, and tells nobody
    early = bundle_closed("completed").model_copy(update={"case_id": "C8"})
    await handle(world, early, s.case_submitted("C8", NOON))
    assert templates(world) == ["case_received", "case_decided", "case_received"]


# The topics are read in parallel and each event is keyed by its own case (the bundle clock by
# its bundle id), so the bus may deliver a bundle's events to notify in any order: the items'
# registrations (egov.cases) against their decisions and the bundle clock's closing (egov.stages).
def as_published(n: int) -> list[Envelope]:
    """Bundle number ``n`` of two items (its own applicant) as intake and approval publish it:
    each item's registration (ids derived as intake derives them, the second released after
    the first's decision), each decision, and the bundle clock's closing, outcome completed."""
    bundle_id = f"{BUNDLE}-{n}"
    case_ids = [f"C{n}-1", f"C{n}-2"]
    items = [i.model_copy(update={"case_id": c}) for i, c in zip(INFO.items, case_ids, strict=True)]
    info = INFO.model_copy(update={"items": items})
    submitted = [
        make_envelope(
            s.case_submitted(c, NOON, applicant=s.applicant_id(n)).model_copy(
                update={"bundle_id": bundle_id, "bundle": info, "item_name": i.item_name}
            ),
            source="/egov/intake",
            time=NOON,
            id=derived_event_id("case.submitted", c),
        )
        for c, i in zip(case_ids, items, strict=True)
    ]
    decisions = [s.envelope(decided(c), NOON, source="/egov/approval") for c in case_ids]
    closed = events.stage_closed(
        bundle_id,
        stage="case_promised",
        outcome="completed",
        reason="bundle completed",
        closed_at=NOON,
    )
    clock = make_envelope(
        closed,
        source="/egov/intake",
        time=NOON,
        id=derived_event_id("bundle.clock.closed", bundle_id),
    )
    return [*submitted, *decisions, clock]


async def test_in_every_order_the_bus_may_deliver_each_is_told_once(world: World) -> None:
    orders = list(itertools.permutations(range(5)))
    for n, order in enumerate(orders):
        published = as_published(n)
        for i in order:
            await world.handle(published[i])
    told: dict[str, Counter[str]] = {}
    for m in world.sent(ChannelName.INBOX):
        told.setdefault(m.recipient_key, Counter())[m.template] += 1
    once_each = {"bundle_received": 1, "bundle_progress": 2, "bundle_finished": 1}
    wrong = {
        order: told.get(s.applicant_id(n))
        for n, order in enumerate(orders)
        if told.get(s.applicant_id(n)) != once_each
    }
    assert wrong == {}


async def test_the_bundle_invited_to_rate_is_spoken_of_as_one_thing(world: World) -> None:
    await handle(world, bundled("C1"), bundled("C2"))
    invited = s.rating_invited(BUNDLE, NOON).model_copy(update={"bundle_id": BUNDLE})
    await handle(world, invited)
    assert templates(world) == ["bundle_received", "rating_invited"]
    [email] = [m for m in world.sent(ChannelName.EMAIL) if m.template == "rating_invited"]
    assert email.subject == "请为您的一件事评价：开办企业一件事"
    assert BUNDLE in email.body and "整体评价一次" in email.body
    # a lone case's invitation reads as before
    await handle(world, s.case_submitted("C9", NOON), s.rating_invited("C9", NOON))
    [lone] = [m for m in world.sent(ChannelName.EMAIL) if m.template == "rating_invited"][1:]
    assert lone.subject == "请为本次政务服务评价" and "一件事" not in lone.body


async def test_a_recounted_bundle_deadline_reaches_the_applicant_not_the_officers(
    world: World,
) -> None:
    """Intake's deadline.changed for the bundle clock (a provisional due recounted on a
    published schedule): the applicant, told the date on the receipt, hears the new one
    through the bundle's document; nobody acts on the clock, so no officer is told."""
    clock = events.stage_opened(
        BUNDLE, stage="case_promised", department="500000-SCJ", required_role="department_head"
    )
    changed = DeadlineChanged(
        case_id=BUNDLE,
        kind="stage",
        stage_id=f"{BUNDLE}:case_promised",
        department="500000-SCJ",
        region="500000",
        old_due_at=datetime(2027, 1, 5, 15, 59, 59, tzinfo=UTC),
        new_due_at=datetime(2027, 1, 6, 15, 59, 59, tzinfo=UTC),
        due_provisional=False,
        calendar_version="v2",
        reason="the official holiday schedule was published",
        applicant_told=True,
        changed_at=NOON,
    )
    await handle(world, bundled("C1"), clock, changed)
    told = [m for m in world.sent(ChannelName.EMAIL) if m.template == "deadline_changed"]
    assert len(told) == 1 and BUNDLE in told[0].body and "2027-01-06 23:59" in told[0].body
    inbox = [m for m in world.sent(ChannelName.INBOX) if m.template == "deadline_changed"]
    assert len(inbox) == 1  # the applicant's only: no officer's
