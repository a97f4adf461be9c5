"""Notify on the real broker and database, with a real SMTP server and a real HTTP receiver
(SMS gateway and webhook subscriber): events in, messages out, exactly once each."""

from __future__ import annotations

import json
import re
import shutil
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from pymongo.asynchronous.database import AsyncDatabase

import tests.unit.notify.notify_samples as s
from services.notify.bootstrap import (
    CONSUMED_TOPICS,
    NotifyService,
    build,
    chaining_of,
    load_directory_if_newer,
)
from services.notify.domain import Officer, delivery_id
from services.notify.settings import NotifySettings
from services.notify.store import MongoDirectory
from shared.audit.admin_log import MongoAdminLog
from shared.contracts import (
    DEAD_LETTER_TOPIC,
    BundleInfo,
    BundleItem,
    Envelope,
    EventData,
    derived_event_id,
    make_envelope,
)
from shared.kafka import KafkaPublisher
from shared.mongo import Outbox
from tests.integration.notify.notify_receivers import (
    BusReader,
    HttpReceiver,
    MailCollector,
    start_group_at_end,
    start_smtp,
    until,
)
from tests.support import events
from tests.support.tokens import officer_headers

pytestmark = pytest.mark.integration

SHANGHAI = ZoneInfo("Asia/Shanghai")
SMS_KEY = "it-sms-key"
FAIL_PHONE = "13700000503"


class OffsetClock:
    """Real time shifted by an offset the test can move (quiet hours need a time of day)."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def jump_to(self, instant: datetime) -> None:
        self.offset = instant - datetime.now(UTC)


@dataclass
class Stack:
    svc: NotifyService
    settings: NotifySettings
    clock: OffsetClock
    http: httpx.AsyncClient
    mail: MailCollector
    receiver: HttpReceiver
    publisher: KafkaPublisher
    notifications: BusReader
    deadletters: BusReader

    @property
    def db(self) -> AsyncDatabase[Any]:
        return self.svc.infra.db

    async def publish(self, data: EventData, env: Envelope | None = None) -> Envelope:
        env = env or make_envelope(data, source="/egov/it", time=self.clock.now())
        await self.publisher.publish(env)
        return env

    async def deliveries(self, env: Envelope) -> list[dict[str, Any]]:
        return await self.db["deliveries"].find({"event_id": env.id}).to_list(None)

    async def settled(self, env: Envelope, count: int) -> list[dict[str, Any]]:
        """Wait until ``count`` deliveries of the event exist and none is pending."""

        async def check() -> list[dict[str, Any]] | None:
            docs = await self.deliveries(env)
            if len(docs) == count and all(d["status"] != "pending" for d in docs):
                return docs
            return None

        docs: list[dict[str, Any]] = await until(check, what=f"{count} deliveries of {env.type}")
        return docs

    def token(self, subject: str, *roles: str) -> dict[str, str]:
        return officer_headers(self.settings, subject=subject, roles=list(roles))


def noon_today() -> datetime:
    local = datetime.now(SHANGHAI).replace(hour=12, minute=0, second=0, microsecond=0)
    return local.astimezone(UTC)


@pytest.fixture(scope="module")
async def stack(
    kafka_bootstrap: str, mongo_uri: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Stack]:
    run = uuid.uuid4().hex[:10]
    templates = tmp_path_factory.mktemp("notify") / "templates"
    shutil.copytree(NotifySettings().templates_dir, templates)
    # A department's bad edit: an unknown variable in the English rating invitation email.
    (templates / "rating_invited" / "email.en.j2").write_text(
        "{% block subject %}Rate us{% endblock %}{% block body %}{{ event.no_such_field }}"
        "{% endblock %}"
    )
    mail = MailCollector()
    controller, smtp_port = start_smtp(mail)
    receiver = HttpReceiver(sms_key=SMS_KEY, fail_phones={FAIL_PHONE})
    await receiver.start()
    settings = NotifySettings(
        kafka_bootstrap=kafka_bootstrap,
        mongo_uri=mongo_uri,
        mongo_db=f"egov_notify_it_{run}",
        consumer_group=f"notify-it-{run}",
        smtp_port=smtp_port,
        templates_dir=str(templates),
        sms_gateway_url=f"http://127.0.0.1:{receiver.port}/sms",
        sms_hmac_key=SMS_KEY,
        webhook_allow_insecure=True,  # the receiver listens on http://127.0.0.1
        retry_base_s=0.3,
        retry_max_s=1.0,
        delivery_max_attempts=3,
        worker_poll_s=0.2,
        delivery_lease_s=10,
        outbox_poll_s=0.1,
        consumer_retry_backoff_s=0.05,
    )
    await start_group_at_end(kafka_bootstrap, settings.consumer_group or "", CONSUMED_TOPICS)
    clock = OffsetClock()
    clock.jump_to(noon_today())
    svc = build(settings, clock=clock)
    publisher = KafkaPublisher(settings)
    notifications = BusReader(kafka_bootstrap, "egov.notifications")
    deadletters = BusReader(kafka_bootstrap, DEAD_LETTER_TOPIC)
    await svc.infra.start()
    try:
        await publisher.start()
        await notifications.start()
        await deadletters.start()
        await svc.consumer.wait_assigned()
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(svc.app), base_url="http://notify"
        ) as http:
            yield Stack(
                svc, settings, clock, http, mail, receiver, publisher, notifications, deadletters
            )
    finally:
        await notifications.stop()
        await deadletters.stop()
        await publisher.stop()
        await svc.infra.stop()
        await receiver.stop()
        controller.stop()


def emails(mails: list[Any]) -> list[str]:
    return sorted(m.rcpt_tos[0] for m in mails)


async def test_receipt_reaches_the_applicant_on_every_channel(stack: Stack, unique_id: str) -> None:
    applicant = s.applicant_id(11)
    env = await stack.publish(
        s.case_submitted(
            unique_id, stack.clock.now(), applicant=applicant, email=f"{unique_id}@example.cn"
        )
    )
    docs = await stack.settled(env, 3)
    assert {(d["channel"], d["status"]) for d in docs} == {
        ("inbox", "sent"),
        ("sms", "sent"),
        ("email", "sent"),
    }

    [mail] = stack.mail.for_event(env.id)
    assert mail.rcpt_tos == [f"{unique_id}@example.cn"]
    assert unique_id in mail.message.get_content()
    [sms] = stack.receiver.sms_for(delivery_id(env.id, applicant, "sms"))
    assert sms["phone"] == "13912345678" and unique_id in sms["text"]

    inbox = (await stack.http.get("/v1/inbox", headers=stack.token(applicant, "applicant"))).json()
    assert unique_id in {i["case_id"] for i in inbox}

    delivered = await until(
        lambda: (
            len(
                found := stack.notifications.events(
                    lambda e: e.get("data", {}).get("source_event_id") == env.id
                )
            )
            == 3
            and found
        ),
        what="three NotificationDelivered events",
    )
    assert {e["type"] for e in delivered} == {"gov.egov.notification.delivered.v1"}
    assert {e["data"]["channel"] for e in delivered} == {"inbox", "sms", "email"}
    assert all(e["data"]["latency_s"] >= 0 for e in delivered)


def _expect(applicant: str, *officers: str) -> set[tuple[str, str]]:
    out = {(applicant, c) for c in ("inbox", "sms", "email")} if applicant else set()
    for o in officers:
        urgent = o.endswith("!")
        o = o.rstrip("!")
        out |= {(o, "inbox"), (o, "email")} | ({(o, "sms")} if urgent else set())
    return out


async def test_each_event_type_reaches_the_expected_recipients_and_channels(
    stack: Stack, unique_id: str
) -> None:
    applicant = s.applicant_id(12)
    case, stage, now = unique_id, f"{unique_id}-S1", stack.clock.now()
    submitted = await stack.publish(s.case_submitted(case, now, applicant=applicant))
    await stack.settled(submitted, 3)
    plan: list[tuple[EventData, set[tuple[str, str]]]] = [
        (s.prereview_done(case, now), _expect(applicant)),
        (s.stage_opened(case, stage, now), _expect("", "cq-scj-h01", "cq-scj-h02")),
        (s.stage_warned(case, stage, now, assignee="cq-scj-h01"), _expect("", "cq-scj-h01")),
        (s.stage_overdue(case, stage, now, assignee="cq-scj-h01"), _expect("", "cq-scj-h01!")),
        (s.finding(case, now), _expect("", "cq-scj-s01", "cq-jw-i01", "cq-jw-i02")),
        (s.case_decided(case, now), _expect(applicant)),
        (s.rectification_opened(case, now), _expect("", "cq-scj-d01", "cq-scj-c01", "cq-scj-c02")),
        (s.rectification_closed(case, now), _expect(applicant)),
        (s.credit_changed(applicant, now), _expect(applicant)),
        (s.rating_invited(case, now), _expect(applicant)),
    ]
    sent = [(await stack.publish(data), expected) for data, expected in plan]
    for env, expected in sent:
        docs = await stack.settled(env, len(expected))
        assert {(d["recipient_key"], d["channel"]) for d in docs} == expected, env.type
        assert {d["status"] for d in docs} == {"sent"}, env.type
        expected_mail = {d["address"] for d in docs if d["channel"] == "email"}
        assert set(emails(stack.mail.for_event(env.id))) == expected_mail, env.type
        assert len(stack.mail.for_event(env.id)) == len(expected_mail), env.type


async def test_escalation_rungs_reach_the_right_roles(stack: Stack, unique_id: str) -> None:
    case, stage, now = unique_id, f"{unique_id}-S1", stack.clock.now()
    # cq-scj-h02 works in the licensing section, whose chief (cq-scj-c02) reads English.
    opened = await stack.publish(s.stage_opened(case, stage, now, assignee="cq-scj-h02"))
    await stack.settled(opened, 2)
    rungs = [
        (1, ["handler"], "none", {"li.qiang@scj.cq.gov.example.cn"}),
        (2, ["section_chief"], "yellow", {"yang.fan@scj.cq.gov.example.cn"}),
        (3, ["department_head"], "red", {"zhao.min@scj.cq.gov.example.cn"}),
        (
            4,
            ["inspection_office"],
            "red",
            {"ma.jun@jw.cq.gov.example.cn", "zhu.lin@jw.cq.gov.example.cn"},
        ),
    ]
    for rung, roles, card, expected in rungs:
        env = await stack.publish(s.escalated(case, stage, now, rung, roles, card))
        docs = await stack.settled(env, 3 * len(expected))  # inbox, email and SMS: urgent
        assert {d["channel"] for d in docs} == {"inbox", "email", "sms"}
        assert set(emails(stack.mail.for_event(env.id))) == expected, f"rung {rung}"
    [chief] = [m for m in stack.mail.for_case(case) if "yang.fan" in m.rcpt_tos[0]]
    assert str(chief.message["Subject"]).startswith("Escalation (rung 2)")


async def test_a_redelivered_event_sends_nothing_new(stack: Stack, unique_id: str) -> None:
    applicant = s.applicant_id(13)
    now = stack.clock.now()
    await stack.settled(
        await stack.publish(s.case_submitted(unique_id, now, applicant=applicant)), 3
    )
    decided = await stack.publish(s.case_decided(unique_id, now))
    await stack.settled(decided, 3)
    # Replay as after a crash between handling and remembering it: forget it was processed.
    forgotten = await stack.db["processed_events"].delete_many({"_id": {"$regex": decided.id}})
    assert forgotten.deleted_count == 1
    await stack.publish(s.case_decided(unique_id, now), env=decided)
    marker = await stack.publish(s.rating_invited(unique_id, now))  # same key: read after it
    await stack.settled(marker, 3)
    await until(
        lambda: stack.db["processed_events"].find_one({"_id": {"$regex": decided.id}}),
        what="the replay to be handled",
    )
    docs = await stack.deliveries(decided)
    assert {d["channel"]: (d["status"], d["attempts"]) for d in docs}["inbox"] == ("sent", 1)
    # Its inbox item was sent by the transaction that recorded it; the replay's aborted on the
    # delivery already there and left the one item and its one outcome event.
    inbox_id = delivery_id(decided.id, applicant, "inbox")
    assert await stack.db["inbox"].count_documents({"_id": inbox_id}) == 1
    outcomes = [derived_event_id("notify", "delivered", str(d["_id"])) for d in docs]
    assert await stack.db["outbox"].count_documents({"_id": {"$in": outcomes}}) == 3
    assert len(docs) == 3
    assert len(stack.mail.for_event(decided.id)) == 1
    assert len(stack.receiver.sms_for(delivery_id(decided.id, applicant, "sms"))) == 1


async def test_a_bundles_end_that_overtook_its_items_registration_is_told(
    stack: Stack, unique_id: str
) -> None:
    """The bundle clock's closing (egov.stages, keyed by the bundle id) reaches notify before
    any item's registration (egov.cases): it waits in the real store, parked under the bundle
    id, and the first item's registration tells it (docs/notify.md#bundles-一件事)."""
    applicant, bundle_id, case_id = s.applicant_id(15), f"YJS-{unique_id}", f"{unique_id}-1"
    now = stack.clock.now()
    closed = events.stage_closed(
        bundle_id, stage="case_promised", outcome="completed", reason="bundle completed"
    )
    end = await stack.publish(closed)
    await until(
        lambda: stack.db["parked_events"].find_one({"_id": end.id}),
        what="the bundle's end to be parked",
    )
    item = BundleItem(case_id=case_id, item_code="500000-SCJ-001", item_name="企业设立登记")
    info = BundleInfo(code="500000-YJS-001", name="开办企业一件事", items=[item])
    submitted = s.case_submitted(case_id, now, applicant=applicant).model_copy(
        update={"bundle_id": bundle_id, "bundle": info}
    )
    await stack.publish(submitted)
    docs = await stack.settled(end, 3)
    assert {(d["template"], d["channel"], d["status"]) for d in docs} == {
        ("bundle_finished", c, "sent") for c in ("inbox", "sms", "email")
    }
    assert await stack.db["parked_events"].find_one({"_id": end.id}) is None


async def test_gateway_failure_is_retried_then_recorded_as_failed(
    stack: Stack, unique_id: str
) -> None:
    applicant = s.applicant_id(14)
    env = await stack.publish(
        s.case_submitted(unique_id, stack.clock.now(), applicant=applicant, phone=FAIL_PHONE)
    )
    docs = await stack.settled(env, 3)
    status = {d["channel"]: (d["status"], d["attempts"]) for d in docs}
    assert status == {"sms": ("failed", 3), "email": ("sent", 1), "inbox": ("sent", 1)}
    assert len(stack.receiver.sms_for(delivery_id(env.id, applicant, "sms"))) == 3
    failed = await until(
        lambda: stack.notifications.events(
            lambda e: (
                e["type"] == "gov.egov.notification.failed.v1"
                and e["data"]["source_event_id"] == env.id
            )
        ),
        what="NotificationFailed",
    )
    assert failed[0]["data"]["channel"] == "sms" and failed[0]["data"]["attempts"] == 3
    assert "503" in failed[0]["data"]["error"]
    assert FAIL_PHONE not in json.dumps(failed[0])  # the phone is masked on the bus


def documented_verifier() -> Any:
    """The receiver-side check exactly as docs/notify.md shows it to integrators."""
    doc = (Path(__file__).resolve().parents[3] / "docs" / "notify.md").read_text(encoding="utf-8")
    [code] = re.findall(r"```python\n(.*?)```", doc, flags=re.S)
    namespace: dict[str, Any] = {}
    exec(code, namespace)  # noqa: S102 - our own documentation
    return namespace["verify_egov_webhook"]


async def test_webhook_deliveries_are_signed_and_verify(stack: Stack, unique_id: str) -> None:
    """An admin registers the integrator, the integrator subscribes (Mongo stores), a real
    delivery is POSTed by the real channel and verified as docs/notify.md shows receivers."""
    integrator = f"tax-{unique_id}"
    registered = await stack.http.put(
        f"/v1/webhook-integrators/{integrator}",
        headers=stack.token("root", "admin"),
        json={
            "name": "税务",
            "event_types": ["gov.egov.case.decided.v1", "gov.egov.case.submitted.v1"],
            "regions": ["500000"],
        },
    )
    assert registered.status_code == 200, registered.text
    created = await stack.http.post(
        "/v1/webhooks",
        headers=stack.token(integrator, "system"),
        json={
            "event_types": ["gov.egov.case.decided.v1", "gov.egov.case.submitted.v1"],
            "url": f"http://127.0.0.1:{stack.receiver.port}/hooks/{unique_id}",
        },
    )
    assert created.status_code == 201, created.text
    try:
        await _deliver_and_verify(stack, unique_id, integrator, created.json())
    finally:  # the other tests count the deliveries of the events they publish
        deleted = await stack.http.delete(
            f"/v1/webhooks/{created.json()['id']}", headers=stack.token(integrator, "system")
        )
        assert deleted.status_code == 204


async def _deliver_and_verify(
    stack: Stack, unique_id: str, integrator: str, created: dict[str, Any]
) -> None:
    secret = created["secret"]
    others = await stack.http.get("/v1/webhooks", headers=stack.token("bank", "system"))
    assert created["id"] not in {x["id"] for x in others.json()}
    # Outside the loopback allowance of the test settings: refused, naming the field.
    metadata = await stack.http.post(
        "/v1/webhooks",
        headers=stack.token(integrator, "system"),
        json={"event_types": ["gov.egov.case.decided.v1"], "url": "http://169.254.169.254/"},
    )
    assert metadata.status_code == 422 and metadata.json()["errors"][0]["field"] == "url"

    submitted = await stack.publish(s.case_submitted(unique_id, stack.clock.now()))
    env = await stack.publish(s.case_decided(unique_id, stack.clock.now()))

    def hooks() -> list[dict[str, Any]]:
        return [h for h in stack.receiver.hooks if h["name"] == unique_id]

    await until(lambda: len(hooks()) == 2, what="the two webhook POSTs")
    by_type = {json.loads(h["body"])["type"]: h for h in hooks()}
    hook = by_type["gov.egov.case.decided.v1"]
    verify_webhook = documented_verifier()
    event = verify_webhook(secret, hook["headers"], hook["body"])
    assert (event["id"], event["type"]) == (env.id, "gov.egov.case.decided.v1")
    assert verify_webhook(secret, hook["headers"], hook["body"] + b" ") is None
    assert (
        verify_webhook(secret, hook["headers"] | {"webhook-id": "replayed"}, hook["body"]) is None
    )
    other = "whsec_" + "QW5vdGhlclNlY3JldE9mMjRCeXRlcyEh"
    assert verify_webhook(other, hook["headers"], hook["body"]) is None
    assert hook["headers"]["webhook-id"] == delivery_id(env.id, created["id"], "webhook")
    # No personal data was granted: the applicant is not in the registration's payload.
    receipt = by_type["gov.egov.case.submitted.v1"]
    assert verify_webhook(secret, receipt["headers"], receipt["body"])["id"] == submitted.id
    assert s.applicant_id() not in receipt["body"].decode()
    assert "13912345678" not in receipt["body"].decode()


async def test_a_broken_template_dead_letters_the_event(stack: Stack, unique_id: str) -> None:
    now = stack.clock.now()
    submitted = await stack.publish(
        s.case_submitted(unique_id, now, locale="en", phone=None, email=f"{unique_id}@example.com")
    )
    await stack.settled(submitted, 2)
    invited = await stack.publish(s.rating_invited(unique_id, now))

    def dead() -> list[Any]:
        return stack.deadletters.records_of(invited.id)

    [letter] = await until(dead, what="the dead letter")
    headers = {k: v.decode() for k, v in letter.headers}
    assert headers["dlq.reason"] == "rejected"
    assert "template error" in headers["dlq.error"] and "no_such_field" in headers["dlq.error"]
    assert json.loads(letter.value)["id"] == invited.id
    assert await stack.deliveries(invited) == []


async def test_quiet_hours_defer_applicant_sms_until_morning(stack: Stack, unique_id: str) -> None:
    applicant = s.applicant_id(15)
    night = noon_today() + timedelta(hours=11)  # 23:00 in Shanghai
    morning = noon_today() + timedelta(hours=20)  # 08:00 the next day
    stack.clock.jump_to(night)
    try:
        env = await stack.publish(
            s.case_submitted(unique_id, stack.clock.now(), applicant=applicant)
        )
        sms_id = delivery_id(env.id, applicant, "sms")

        async def two_sent() -> bool:
            docs = await stack.deliveries(env)
            return sum(d["status"] == "sent" for d in docs) == 2

        await until(two_sent, what="email and inbox")
        sms = await stack.db["deliveries"].find_one({"_id": sms_id})
        assert sms["status"] == "pending" and sms["due_at"] == morning.replace(tzinfo=UTC)
        assert len(stack.mail.for_event(env.id)) == 1
        assert stack.receiver.sms_for(sms_id) == []
        stack.clock.jump_to(morning + timedelta(seconds=1))
        await until(lambda: stack.receiver.sms_for(sms_id), what="the deferred SMS")
        await stack.settled(env, 3)
    finally:
        stack.clock.jump_to(noon_today())


async def test_officer_inbox_masks_personal_data_without_the_role(
    stack: Stack, unique_id: str
) -> None:
    name = f"欧阳{unique_id[:4]}"
    now = stack.clock.now()
    submitted = await stack.publish(s.case_submitted(unique_id, now, name=name))
    await stack.settled(submitted, 3)
    # A supervisor's and a handler's inbox hold messages naming the applicant.
    finding = await stack.publish(s.finding(unique_id, now))
    opened = await stack.publish(
        s.stage_opened(unique_id, f"{unique_id}-S1", now, assignee="cq-scj-h01")
    )
    await stack.settled(finding, 6)
    await stack.settled(opened, 2)
    await stack.db["inbox"].update_many(
        {"case_id": unique_id}, {"$set": {"body": f"申请人 {name}"}}
    )
    supervisor = (
        await stack.http.get("/v1/inbox", headers=stack.token("cq-scj-s01", "supervisor"))
    ).json()
    [item] = [i for i in supervisor if i["case_id"] == unique_id]
    assert item["masked"] and name not in item["body"] and name[0] in item["body"]
    handler = (
        await stack.http.get("/v1/inbox", headers=stack.token("cq-scj-h01", "handler"))
    ).json()
    [item] = [i for i in handler if i["case_id"] == unique_id]
    assert not item["masked"] and name in item["body"]

    metrics = (await stack.http.get("/metrics")).text
    assert (
        'egov_notify_deliveries_total{channel="inbox",outcome="delivered",'
        'template="supervision_finding"}' in metrics
    )
    assert "egov_notify_delivery_latency_seconds_bucket" in metrics


async def test_directory_file_reload_keeps_officers_added_by_admins(
    stack: Stack, unique_id: str, tmp_path: Path
) -> None:
    infra = stack.svc.infra
    db = infra.mongo[f"egov_notify_dir_{unique_id[:12]}"]
    directory, log = MongoDirectory(db), MongoAdminLog(infra.mongo, db, Outbox(db))
    chaining = chaining_of(stack.settings, log, infra.clock)
    assert await load_directory_if_newer(directory, stack.settings.directory_file, chaining)
    assert not await load_directory_if_newer(directory, stack.settings.directory_file, chaining)
    first_version = await directory.version()
    await directory.upsert_officer(
        Officer(id="cq-api-1", name="临时", department="500000-SCJ", roles=["handler"]),
        source="api",
    )
    newer = tmp_path / "directory.yaml"
    newer.write_text(
        'version: "2026.10"\nofficers:\n'
        "  - {id: cq-scj-h01, name: 王芳, department: 500000-SCJ, roles: [handler, reviewer]}\n",
        encoding="utf-8",
    )
    assert await load_directory_if_newer(directory, newer, chaining)
    handlers = {o.id for o in await directory.officers(role="handler", department="500000-SCJ")}
    assert handlers == {"cq-scj-h01", "cq-api-1"}  # cq-scj-h02 left with the file's new version
    assert await directory.version() == "2026.10"
    # each file's changes chained in the transaction that made them, with the file as actor
    left = await log.entries("notify.directory", "cq-scj-h02")
    assert [(e["action"], e["actor"]) for e in left] == [
        ("created", f"notify (directory file {first_version})"),
        ("removed", "notify (directory file 2026.10)"),
    ]
