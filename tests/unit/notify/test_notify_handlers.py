"""Handlers with in-memory fakes: who hears about each event, on which channel, and when."""

from __future__ import annotations

import json
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

import tests.unit.notify.notify_samples as s
from services.notify.domain import ChannelName, SendResult
from services.notify.settings import NotifySettings
from shared.contracts import Envelope, EventData, ParallelMode, PreReviewDone
from shared.kafka import PermanentError
from tests.unit.notify.notify_fakes import by_channel
from tests.unit.notify.notify_world import NOON, World, build_world

APPLICANT = s.applicant_id()
ALL = {"inbox", "sms", "email"}
OFFICER = {"inbox", "email"}
URGENT_OFFICER = {"inbox", "email", "sms"}


def env(data: EventData, world: World, ago_s: float = 0) -> Envelope:
    return s.envelope(data, world.clock.now() - timedelta(seconds=ago_s))


async def submit(world: World, case_id: str = "C1", **kwargs: object) -> Envelope:
    e = env(s.case_submitted(case_id, world.clock.now(), **kwargs), world)  # type: ignore[arg-type]
    await world.handle(e)
    return e


def reset(world: World) -> None:
    for ch in world.channels.values():
        ch.sent.clear()


async def test_case_submitted_sends_the_receipt_on_every_channel_with_latency(
    world: World,
) -> None:
    e = s.envelope(s.case_submitted("C1", NOON), NOON - timedelta(seconds=2))
    await world.handle(e)
    assert by_channel(world.channels) == {APPLICANT: ALL}
    sms = world.sent(ChannelName.SMS)[0]
    assert sms.address == "13912345678" and "C1" in sms.body and sms.template == "case_received"
    assert world.sent(ChannelName.EMAIL)[0].subject.startswith("办件已登记")
    delivered = [x for x in world.deliveries.events if x.type.endswith("delivered.v1")]
    assert len(delivered) == 3
    assert {x.data["latency_s"] for x in delivered} == {2.0}
    assert {x.data["channel"] for x in delivered} == ALL
    assert all("13912345678" not in json.dumps(x.data) for x in delivered)  # masked on the bus
    assert all(x.causationid == e.id for x in delivered)


@pytest.mark.parametrize(
    ("locale", "subject"),
    [("en", "Application received"), ("en-GB", "Application received"), ("fr", "办件已登记")],
)
async def test_applicants_read_their_language_or_the_default(
    world: World, locale: str, subject: str
) -> None:
    await submit(world, locale=locale, name="Li Lei")
    assert world.sent(ChannelName.EMAIL)[0].subject.startswith(subject)


ROUTES = [
    ("prereview", lambda at: s.prereview_done("C1", at), {APPLICANT: ALL}),
    (
        "task to role",
        lambda at: s.stage_opened("C1", "S1", at),
        {"cq-scj-h01": OFFICER, "cq-scj-h02": OFFICER},
    ),
    (
        "task to assignee",
        lambda at: s.stage_opened("C1", "S1", at, assignee="cq-scj-r01"),
        {"cq-scj-r01": OFFICER},
    ),
    (
        "task to reviewers",
        lambda at: s.stage_opened("C1", "S1", at, role="reviewer"),
        {"cq-scj-r01": OFFICER},
    ),
    (
        "warned",
        lambda at: s.stage_warned("C1", "S1", at, assignee="cq-scj-h02"),
        {"cq-scj-h02": OFFICER},
    ),
    (
        "overdue",
        lambda at: s.stage_overdue("C1", "S1", at, assignee="cq-scj-h01"),
        {"cq-scj-h01": URGENT_OFFICER},
    ),
    (
        "finding",
        lambda at: s.finding("C1", at),
        {"cq-scj-s01": OFFICER, "cq-jw-i01": OFFICER, "cq-jw-i02": OFFICER},
    ),
    ("decided", lambda at: s.case_decided("C1", at), {APPLICANT: ALL}),
    (
        "rectification opened",
        lambda at: s.rectification_opened("C1", at),
        {"cq-scj-d01": OFFICER, "cq-scj-c01": OFFICER, "cq-scj-c02": OFFICER},
    ),
    ("rectification closed", lambda at: s.rectification_closed("C1", at), {APPLICANT: ALL}),
    ("credit of a known applicant", lambda at: s.credit_changed(APPLICANT, at), {APPLICANT: ALL}),
    ("credit of an unknown subject", lambda at: s.credit_changed("91500000MA5U000000", at), {}),
    (
        "credit of a department",
        lambda at: s.credit_changed("500000-SCJ", at, "department"),
        {"cq-scj-d01": OFFICER},
    ),
    ("rating invited", lambda at: s.rating_invited("C1", at), {APPLICANT: ALL}),
    (
        "deadline changed, applicant told",
        lambda at: s.deadline_changed("C1", "S1", at, assignee="cq-scj-h02"),
        {"cq-scj-h02": OFFICER, APPLICANT: ALL},
    ),
    (
        "deadline changed, officers only",
        lambda at: s.deadline_changed("C1", "S1", at, assignee="cq-scj-h02", applicant_told=False),
        {"cq-scj-h02": OFFICER},
    ),
    (
        "deadline changed to the same date (only the provisional mark)",
        lambda at: s.deadline_changed("C1", "S1", at, assignee="cq-scj-h02", days=0),
        {},
    ),
]


@pytest.mark.parametrize(("label", "make", "expected"), ROUTES, ids=[r[0] for r in ROUTES])
async def test_each_event_type_reaches_the_expected_recipients_and_channels(
    world: World, label: str, make: object, expected: dict[str, set[str]]
) -> None:
    await submit(world)
    reset(world)
    await world.handle(env(make(world.clock.now()), world))  # type: ignore[operator]
    assert by_channel(world.channels) == expected


async def test_a_subjects_notices_go_only_to_contacts_verified_as_its_own(world: World) -> None:
    """Issue 18, finding 4: a case submitted in someone's name with the submitter's own phone
    must not reroute that person's credit notices (notify kept "last submission wins")."""
    await submit(world, "C1", phone="13912345678", email="zhangsan@example.cn")
    await submit(world, "C2", phone="13700000000", email="attacker@example.cn", verified=False)
    reset(world)
    # the case's own notices go to the contact given with it ...
    await world.handle(env(s.case_decided("C2", world.clock.now()), world))
    assert [m.address for m in world.sent(ChannelName.SMS)] == ["13700000000"]
    reset(world)
    world.clock.advance(3600)  # past the push rate limit of the fixture (3 an hour)
    # ... the subject's credit notices only to the verified one, never to the newer unverified
    await world.handle(env(s.credit_changed(APPLICANT, world.clock.now()), world))
    assert [m.address for m in world.sent(ChannelName.SMS)] == ["13912345678"]
    assert [m.address for m in world.sent(ChannelName.EMAIL)] == ["zhangsan@example.cn"]


async def test_a_subject_with_no_verified_contact_gets_no_credit_notice(world: World) -> None:
    await submit(world, "C1", verified=False)
    reset(world)
    await world.handle(env(s.credit_changed(APPLICANT, world.clock.now()), world))
    assert by_channel(world.channels) == {}


async def test_an_event_with_nobody_to_tell_is_counted(world: World) -> None:
    from services.notify.metrics import DELIVERIES

    before = DELIVERIES.labels("none", "task_assigned", "no_recipient")._value.get()
    await world.handle(env(s.stage_opened("C1", "S1", NOON, department="500000-NOBODY"), world))
    assert by_channel(world.channels) == {}
    assert DELIVERIES.labels("none", "task_assigned", "no_recipient")._value.get() == before + 1


async def test_signed_in_officer_gets_the_later_alerts(world: World) -> None:
    await submit(world)
    await world.handle(env(s.stage_opened("C1", "S1", NOON), world))
    await world.handle(env(s.signed_in("C1", "S1", "cq-scj-h02", NOON), world))
    reset(world)
    await world.handle(env(s.stage_warned("C1", "S1", NOON), world))
    assert by_channel(world.channels) == {"cq-scj-h02": OFFICER}


RUNGS = [
    (1, ["handler"], {"cq-scj-h01": URGENT_OFFICER}),
    (2, ["section_chief"], {"cq-scj-c01": URGENT_OFFICER}),  # the assignee's section's chief
    (3, ["department_head"], {"cq-scj-d01": URGENT_OFFICER}),
    (4, ["inspection_office"], {"cq-jw-i01": URGENT_OFFICER, "cq-jw-i02": URGENT_OFFICER}),
    (2, ["handler", "section_chief"], {"cq-scj-h01": URGENT_OFFICER, "cq-scj-c01": URGENT_OFFICER}),
]


@pytest.mark.parametrize(("rung", "roles", "expected"), RUNGS)
async def test_escalation_rungs_reach_the_right_roles(
    world: World, rung: int, roles: list[str], expected: dict[str, set[str]]
) -> None:
    await submit(world)
    await world.handle(env(s.stage_opened("C1", "S1", NOON, assignee="cq-scj-h01"), world))
    reset(world)
    await world.handle(env(s.escalated("C1", "S1", NOON, rung, roles, "yellow"), world))
    assert by_channel(world.channels) == expected


async def test_escalation_without_a_known_assignee_reaches_every_handler_and_all_chiefs(
    world: World,
) -> None:
    await world.handle(env(s.escalated("C9", "S9", NOON, 2, ["handler", "section_chief"]), world))
    assert set(by_channel(world.channels)) == {
        "cq-scj-h01",
        "cq-scj-h02",
        "cq-scj-c01",
        "cq-scj-c02",
    }


async def test_inspection_office_is_the_stage_regions(world: World) -> None:
    await world.handle(
        env(
            s.escalated(
                "C9",
                "S9",
                NOON,
                4,
                ["inspection_office"],
                department="510100-XZSP",
                region="510100",
            ),
            world,
        )
    )
    assert set(by_channel(world.channels)) == {"cd-jw-i01"}


async def test_a_redelivered_event_sends_nothing_new(world: World) -> None:
    await submit(world)
    e = env(s.case_decided("C1", NOON), world)
    await world.handle(e)
    count = sum(len(c.sent) for c in world.channels.values())
    records = len(world.deliveries.docs)
    await world.handle(e)
    await world.deps.dispatcher.run_due_once()
    assert sum(len(c.sent) for c in world.channels.values()) == count
    assert len(world.deliveries.docs) == records


async def test_quiet_hours_defer_applicant_sms_until_morning(world: World) -> None:
    world.clock.set(NOON.replace(hour=15))  # 23:00 in Shanghai
    await submit(world)
    assert by_channel(world.channels) == {APPLICANT: {"inbox", "email"}}
    sms = next(d for d in world.deliveries.docs.values() if d["channel"] == "sms")
    assert sms["status"] == "pending"
    assert sms["due_at"] == NOON.replace(day=11, hour=0)  # 08:00 Shanghai next day
    world.clock.set(NOON.replace(day=11, hour=0) - timedelta(minutes=1))
    await world.deps.dispatcher.run_due_once()
    assert not world.sent(ChannelName.SMS)
    world.clock.set(NOON.replace(day=11, hour=0))
    await world.deps.dispatcher.run_due_once()
    assert [m.template for m in world.sent(ChannelName.SMS)] == ["case_received"]


async def test_quiet_hours_do_not_hold_back_officer_alerts(world: World) -> None:
    world.clock.set(NOON.replace(hour=15))
    await world.handle(env(s.stage_overdue("C1", "S1", NOON, assignee="cq-scj-h01"), world))
    assert [m.address for m in world.sent(ChannelName.SMS)] == ["13800000101"]


async def test_rate_limit_defers_the_message_over_the_limit(world: World) -> None:
    await submit(world)  # 1 SMS
    await world.handle(env(s.prereview_done("C1", NOON), world))  # 2
    await world.handle(env(s.case_decided("C1", NOON), world))  # 3 = rate_limit_count
    await world.handle(env(s.rating_invited("C1", NOON), world))  # held back
    assert len(world.sent(ChannelName.SMS)) == 3
    assert len(world.sent(ChannelName.INBOX)) == 4  # the inbox is not rate limited
    world.clock.advance(timedelta(hours=1, seconds=1))
    await world.deps.dispatcher.run_due_once()
    assert [m.template for m in world.sent(ChannelName.SMS)][-1] == "rating_invited"


async def test_gateway_failure_is_retried_with_backoff_then_recorded(world: World) -> None:
    world.channels[ChannelName.SMS].script = lambda _m: SendResult.retry("sms gateway HTTP 503")
    await submit(world)
    sms = next(d for d in world.deliveries.docs.values() if d["channel"] == "sms")
    assert sms["attempts"] == 1 and sms["due_at"] == NOON + timedelta(seconds=10)
    await world.deps.dispatcher.run_due_once()
    assert len(world.sent(ChannelName.SMS)) == 1  # not due yet
    world.clock.advance(10)
    await world.deps.dispatcher.run_due_once()
    world.clock.advance(20)
    await world.deps.dispatcher.run_due_once()
    world.clock.advance(3600)
    await world.deps.dispatcher.run_due_once()
    assert len(world.sent(ChannelName.SMS)) == 3  # max attempts, then no more
    assert (
        sms["_id"] in world.deliveries.docs
        and world.deliveries.docs[sms["_id"]]["status"] == "failed"
    )
    failed = [x for x in world.deliveries.events if x.type.endswith("failed.v1")]
    assert len(failed) == 1
    assert failed[0].data["attempts"] == 3 and "503" in failed[0].data["error"]


async def test_permanent_rejection_fails_at_once_without_leaking_the_address(
    world: World,
) -> None:
    world.channels[ChannelName.EMAIL].script = lambda m: SendResult.permanent(
        f"smtp 550 5.1.1 <{m.address}>: Recipient address rejected"
    )
    await submit(world)
    failed = [x for x in world.deliveries.events if x.type.endswith("failed.v1")]
    assert [(f.data["channel"], f.data["attempts"]) for f in failed] == [("email", 1)]
    assert "zhangsan@example.cn" not in json.dumps(failed[0].data)
    assert "z***@example.cn" in failed[0].data["error"]


async def test_a_sent_delivery_is_never_resent(world: World) -> None:
    await submit(world)
    for doc in world.deliveries.docs.values():
        doc["lease_until"] = NOON - timedelta(days=1)  # as if a lease had expired
    world.clock.advance(3600)
    await world.deps.dispatcher.run_due_once()
    assert sum(len(c.sent) for c in world.channels.values()) == 3


async def test_broken_template_raises_permanent_error_and_records_nothing(world: World) -> None:
    await submit(world)
    before = len(world.deliveries.docs)

    class Broken:
        def render(self, *args: object) -> object:
            raise PermanentError("template error in case_decided/email.zh-CN.j2: 'x' is undefined")

    world.deps.renderer = Broken()  # type: ignore[assignment]
    with pytest.raises(PermanentError, match="template error"):
        await world.handle(env(s.case_decided("C1", NOON), world))
    assert len(world.deliveries.docs) == before


async def test_a_template_escaping_its_sandbox_sends_nothing(
    settings: NotifySettings, tmp_path: Path
) -> None:
    """A department's template that reaches for Python internals: the event is refused (dead
    letter) before anything is recorded, on every channel."""
    templates = tmp_path / "templates"
    shutil.copytree(settings.templates_dir, templates)
    (templates / "case_decided" / "sms.zh-CN.j2").write_text(
        "{% block body %}{{ ''.__class__.__mro__[1].__subclasses__() }}{% endblock %}"
    )
    world = await build_world(settings.model_copy(update={"templates_dir": str(templates)}))
    await submit(world)
    before = len(world.deliveries.docs)
    with pytest.raises(PermanentError, match="unsafe"):
        await world.handle(env(s.case_decided("C1", NOON), world))
    assert len(world.deliveries.docs) == before


async def test_stage_event_before_its_case_is_parked_then_sent(world: World) -> None:
    await world.handle(env(s.prereview_done("C1", NOON), world))
    assert by_channel(world.channels) == {}
    await submit(world)
    templates = sorted(m.template for m in world.sent(ChannelName.SMS))
    assert templates == ["case_received", "prereview_done"]
    assert world.projections.parked == []


async def test_a_parked_event_whose_handling_fails_stays_parked_for_the_redelivery(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The registration that releases parked events fails while handling one (a database
    error, a crash): the consumer retries the registration, and the parked event must still be
    there to be handled then (taken away before its handling, it would be lost)."""
    from services.notify.handlers import HANDLERS

    real = HANDLERS[PreReviewDone.event_type]
    failures = [RuntimeError("database away")]

    async def once_failing(deps: Any, envelope: Envelope, data: Any) -> None:
        if failures:
            raise failures.pop()
        await real(deps, envelope, data)

    monkeypatch.setitem(HANDLERS, PreReviewDone.event_type, once_failing)
    await world.handle(env(s.prereview_done("C1", NOON), world))
    registration = env(s.case_submitted("C1", world.clock.now()), world)
    with pytest.raises(RuntimeError, match="database away"):
        await world.handle(registration)
    assert [e.type for _, e in world.projections.parked] == [PreReviewDone.event_type]
    await world.handle(registration)  # the consumer's retry
    templates = sorted(m.template for m in world.sent(ChannelName.SMS))
    assert templates == ["case_received", "prereview_done"]  # the receipt once, not twice
    assert world.projections.parked == []


async def test_a_deadline_change_tells_the_applicant_once_their_contact_data_arrives(
    world: World,
) -> None:
    await world.handle(env(s.deadline_changed("C1", "S1", NOON, assignee="cq-scj-h02"), world))
    assert by_channel(world.channels) == {"cq-scj-h02": OFFICER}
    reset(world)
    await submit(world)  # the parked event is handled again: the applicant hears, nobody twice
    sent = by_channel(world.channels)
    assert sent[APPLICANT] == ALL and "cq-scj-h02" not in sent
    body = world.sent(ChannelName.SMS)[-1].body
    assert "C1" in body and "调整" in body


async def test_the_parent_of_a_parallel_stage_assigns_nobody_its_sub_tasks_do(world: World) -> None:
    await submit(world)
    reset(world)
    parent = s.stage_opened("C1", "C1:review", NOON).model_copy(
        update={"parallel_mode": ParallelMode.ALL}
    )
    await world.handle(env(parent, world))
    assert by_channel(world.channels) == {}
    sub = s.stage_opened("C1", "C1:review:500000-SCJ", NOON, role="reviewer").model_copy(
        update={"parallel_mode": ParallelMode.ALL, "parent_stage_id": "C1:review"}
    )
    await world.handle(env(sub, world))
    assert by_channel(world.channels) == {"cq-scj-r01": OFFICER}
    reset(world)
    moved = s.deadline_changed("C1", "C1:review", NOON)  # the step's date, told to the applicant
    await world.handle(env(moved, world))
    assert by_channel(world.channels) == {APPLICANT: ALL}


async def test_a_template_listed_as_urgent_reaches_applicants_in_quiet_hours_at_once(
    settings: NotifySettings,
) -> None:
    world = await build_world(settings.model_copy(update={"urgent_templates": ["credit_changed"]}))
    night = NOON.replace(hour=15)  # 23:00 in Shanghai
    world.clock.set(night)
    await submit(world)  # the receipt's SMS waits for the morning
    await world.handle(env(s.credit_changed(APPLICANT, night), world))
    await world.handle(env(s.case_decided("C1", night), world))  # not listed: waits too
    assert [m.template for m in world.sent(ChannelName.SMS)] == ["credit_changed"]
    waiting = sorted(
        d["template"] for d in world.deliveries.docs.values() if d["status"] == "pending"
    )
    assert waiting == ["case_decided", "case_received"]
    reset(world)
    # the list speaks for applicants: a department's head still gets no SMS for it
    await world.handle(env(s.credit_changed("500000-SCJ", night, "department"), world))
    assert by_channel(world.channels) == {"cq-scj-d01": OFFICER}
