"""MongoDB round trips per operation on the real database, with a budget per command name.

Each operation runs inside ``counting(name)`` (shared.mongo.commands), so only its own commands
count: the outbox relays, delivery workers and sweeps run in their own tasks and are labelled by
task name, never inside an operation. Consumed events are fed to each service's own
``EventConsumer.process`` (dedupe check, handler, dedupe mark) from the outbox documents the
previous step wrote, so the broker's timing never enters the count. A count above its budget fails
the test: a new read or write on a hot path must be earned (docs/benchmarks.md, "Database round
trips per operation"). Lower a budget when a count goes down.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from services.approval.bootstrap import ApprovalService
from services.approval.bootstrap import build as build_approval
from services.approval.settings import ApprovalSettings
from services.credit.bootstrap import CreditService
from services.credit.bootstrap import build as build_credit
from services.credit.settings import CreditSettings
from services.intake.bootstrap import IntakeService
from services.intake.bootstrap import build as build_intake
from services.intake.settings import IntakeSettings
from services.notify.bootstrap import NotifyService
from services.notify.bootstrap import build as build_notify
from services.notify.settings import NotifySettings
from shared.contracts import CreditIncident, make_envelope
from shared.identifiers import make_resident_id
from shared.kafka import EventConsumer
from shared.kafka.pipeline import Refused, decode
from shared.mongo import Outbox
from shared.mongo.commands import COMMANDS, counting
from tests.support.tokens import SignedInApplicant, officer_headers

pytestmark = pytest.mark.integration

RUN = uuid.uuid4().hex[:8]
PERSON = make_resident_id("500103", date(1988, 8, 8), 21)
UPLOAD = {"form": "upload", "sha256": "a" * 64, "size": 2048}

# Operation -> command name -> commands measured on the current code (the budget).
BUDGET: dict[str, dict[str, int]] = {
    "intake: submission (HTTP POST /v1/cases)": {
        "commitTransaction": 1, "find": 2, "findAndModify": 1, "insert": 3,
    },
    "approval: event consumed (case.submitted)": {
        "commitTransaction": 1, "find": 1, "insert": 4, "update": 1,
    },
    "approval: officer action (pre-review sign-in)": {
        "commitTransaction": 1, "find": 1, "insert": 2, "update": 2,
    },
    "intake: event consumed (stage.opened)": {
        "commitTransaction": 1, "find": 2, "insert": 2, "update": 1,
    },
    "notify: event consumed (case.submitted)": {
        "commitTransaction": 1, "find": 1, "findAndModify": 1, "insert": 4, "update": 1,
    },
    "notify: event consumed (stage.opened)": {
        "commitTransaction": 1, "find": 4, "insert": 4, "update": 3,
    },
    "notify: one delivery (inbox)": {
        "commitTransaction": 1, "findAndModify": 1, "insert": 2, "update": 1,
    },
    "credit: event consumed (credit.incident)": {"commitTransaction": 1, "find": 3, "insert": 4},
}  # fmt: skip


@dataclass
class OutboxRecord:
    """A Kafka record as the consumer sees it, built from an outbox document."""

    topic: str
    key: bytes | None
    value: bytes | None
    partition: int = 0
    offset: int = 0
    headers: list[tuple[str, bytes]] = field(default_factory=list)


@dataclass
class Platform:
    intake: IntakeService
    approval: ApprovalService
    notify: NotifyService
    credit: CreditService
    http: Callable[[str], httpx.AsyncClient]


def common(kafka_bootstrap: str, mongo_uri: str, service: str) -> dict[str, Any]:
    return {
        "kafka_bootstrap": kafka_bootstrap,
        "mongo_uri": mongo_uri,
        "mongo_db": f"egov_{service}_trips_{RUN}",
        "consumer_group": f"{service}-trips-{RUN}",
        "mongo_count_commands": True,
        "log_json": False,
    }


@pytest.fixture(scope="module")
async def platform(kafka_bootstrap: str, mongo_uri: str) -> AsyncIterator[Platform]:
    intake = build_intake(
        IntakeSettings(
            **common(kafka_bootstrap, mongo_uri, "intake"),
            credit_url="http://127.0.0.1:9",
            credit_timeout_s=0.5,
        )
    )
    approval = build_approval(ApprovalSettings(**common(kafka_bootstrap, mongo_uri, "approval")))
    notify = build_notify(
        NotifySettings(
            **common(kafka_bootstrap, mongo_uri, "notify"),
            smtp_port=9,
            sms_gateway_url="http://127.0.0.1:9/sms",
        )
    )
    credit = build_credit(CreditSettings(**common(kafka_bootstrap, mongo_uri, "credit")))
    services = (intake, approval, notify, credit)
    async with AsyncExitStack() as stack:
        for service in services:
            # Events are fed to EventConsumer.process directly: no group joins, no broker timing.
            service.infra.consumers.clear()
            await stack.enter_async_context(service.infra.lifespan(service.app))
        clients = {
            "intake": await stack.enter_async_context(
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(intake.app),
                    base_url="http://intake",
                    auth=SignedInApplicant(intake.settings),
                )
            ),
            "approval": await stack.enter_async_context(
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(approval.app), base_url="http://approval"
                )
            ),
        }
        yield Platform(intake, approval, notify, credit, clients.__getitem__)


async def outbox_record(service: Any, event_type: str, case_id: str | None = None) -> OutboxRecord:
    query: dict[str, Any] = {"type": event_type}
    if case_id is not None:
        query["key"] = case_id
    doc = await service.infra.db["outbox"].find_one(query, sort=[("seq", -1)])
    assert doc is not None, f"no {event_type} in {service.settings.service_name}'s outbox"
    return OutboxRecord(doc["topic"], str(doc["key"]).encode(), bytes(doc["value"]))


def renamed(record: OutboxRecord, event_id: str) -> OutboxRecord:
    """The same event under another id (past the dedupe: handled as a new one)."""
    decoded = decode(record.topic, record.value or b"", max_bytes=1_048_576)
    assert not isinstance(decoded, Refused)
    value = decoded.envelope.model_copy(update={"id": event_id}).to_json_bytes()
    return OutboxRecord(record.topic, record.key, value)


async def consume(consumer: EventConsumer, record: OutboxRecord) -> None:
    assert await consumer.process(record) == "handled"


def table(operations: list[str]) -> str:
    lines = [f"{'operation':<48} {'total':>5}  commands (collection)"]
    for op in operations:
        detail = ", ".join(
            f"{cmd} {coll} {n}" if coll else f"{cmd} {n}" for cmd, coll, n in COMMANDS.detail(op)
        )
        lines.append(f"{op:<48} {sum(COMMANDS.of(op).values()):>5}  {detail}")
    return "\n".join(lines)


async def test_round_trips_per_operation_stay_within_budget(platform: Platform) -> None:
    p = platform
    body = {
        "item_code": "500000-SCJ-001",
        "applicant": {"kind": "person", "id_number": PERSON, "name": "李四"},
        "form": {"company_name": "测试有限公司", "marker": RUN},
        "materials": [
            {"code": c, **UPLOAD} for c in ("id_card", "application_form", "articles", "premises")
        ],
        "receiving_region": "500000",
    }
    # A first submission warms the item cache (reference data is read once per item_cache_s).
    warm = await p.http("intake").post("/v1/cases", json=body | {"form": {"marker": "warm"}})
    assert warm.status_code == 201, warm.text
    # So does notify's first case.submitted (its webhook subscriptions, once per event type).
    warm_case = warm.json()["case_id"]
    await consume(
        p.notify.consumer,
        await outbox_record(p.intake, "gov.egov.case.submitted.v1", warm_case),
    )
    COMMANDS.reset()
    with counting("intake: submission (HTTP POST /v1/cases)"):
        r = await p.http("intake").post(
            "/v1/cases", json=body, headers={"Idempotency-Key": f"trips-{RUN}"}
        )
    assert r.status_code == 201, r.text
    case_id = r.json()["case_id"]
    submitted = await outbox_record(p.intake, "gov.egov.case.submitted.v1", case_id)

    with counting("approval: event consumed (case.submitted)"):
        await consume(p.approval.consumer, submitted)
    # A replay that got past the dedupe (a crash before its mark) is refused by the insert.
    decoded = decode(submitted.topic, submitted.value or b"", max_bytes=1_048_576)
    assert not isinstance(decoded, Refused)
    replay = p.approval.consumer.handlers[decoded.envelope.type]
    await replay(decoded.envelope, decoded.data)
    assert await p.approval.infra.db["cases"].count_documents({"_id": case_id}) == 1
    officer = officer_headers(
        p.approval.settings,
        subject=f"trips-{RUN}",
        roles=["handler"],
        department="500000-SCJ",
        region="500000",
    )
    case = (await p.http("approval").get(f"/v1/cases/{case_id}", headers=officer)).json()
    assert case["status"] == "prereview", case["status"]
    with counting("approval: officer action (pre-review sign-in)"):
        r = await p.http("approval").post(
            f"/v1/cases/{case_id}/stages/prereview/sign-in",
            json={"version": case["version"]},
            headers=officer,
        )
    assert r.status_code == 200, r.text

    opened = await outbox_record(p.approval, "gov.egov.stage.opened.v1", case_id)
    with counting("intake: event consumed (stage.opened)"):
        await consume(p.intake.consumer, opened)

    with counting("notify: event consumed (case.submitted)"):
        await consume(p.notify.consumer, submitted)

    # An officer's task: the first of the day reads the department's handlers (cached after).
    await consume(p.notify.consumer, renamed(opened, f"warm-{RUN}"))
    with counting("notify: event consumed (stage.opened)"):
        await consume(p.notify.consumer, opened)

    delivery_id = await inbox_delivery(p.notify, case_id)
    with counting("notify: one delivery (inbox)"):
        assert await p.notify.deps.dispatcher.attempt(delivery_id) == "delivered"

    now = p.credit.infra.clock.now()  # the services run on the system clock
    incident = CreditIncident.model_validate(
        {
            "subject_id": "500000-SCJ",
            "subject_kind": "department",
            "incident_type": "overdue_escalation",
            "severity": "serious",
            "source_system": "egov-monitor",
            "evidence": [f"STAGE-{RUN}"],
            "occurred_at": now,
        }
    )
    env = make_envelope(incident, source="/egov/monitor", time=now)
    incident_record = OutboxRecord(
        "egov.credit.incidents", env.subject.encode(), env.to_json_bytes()
    )
    with counting("credit: event consumed (credit.incident)"):
        await consume(p.credit.consumer, incident_record)
    # A copy that got past the dedupe (a crash before its mark) is refused by the write.
    decoded_incident = decode(
        incident_record.topic, incident_record.value or b"", max_bytes=1 << 20
    )
    assert not isinstance(decoded_incident, Refused)
    again = p.credit.consumer.handlers[decoded_incident.envelope.type]
    await again(decoded_incident.envelope, decoded_incident.data)
    assert await p.credit.infra.db["records"].count_documents({"evidence": f"STAGE-{RUN}"}) == 1

    measured = {op: COMMANDS.of(op) for op in COMMANDS.operations() if op in BUDGET}
    # Counted apart, never budgeted: each relay polls on its own (lease + find while idle).
    relays = [op for op in COMMANDS.operations() if op.startswith("outbox-relay:")]
    print("\n" + table(list(measured)) + "\n\nthe outbox relays meanwhile\n" + table(relays))
    assert set(measured) == set(BUDGET), (
        f"operations that sent nothing: {set(BUDGET) - set(measured)}"
    )
    over = [
        f"{op}: {cmd} {n} > {BUDGET[op].get(cmd, 0)}"
        for op, cmds in measured.items()
        for cmd, n in cmds.items()
        if n > BUDGET[op].get(cmd, 0)
    ]
    assert not over, "MongoDB commands above budget:\n" + "\n".join(over)


async def inbox_delivery(notify: NotifyService, case_id: str) -> str:
    """A pending inbox delivery copied from one notify recorded for the case (inbox needs no
    outside server, so the attempt is the delivery's own round trips and nothing else)."""
    col = notify.infra.db["deliveries"]
    doc = await col.find_one({"case_id": case_id})
    assert doc is not None, "notify recorded no delivery for the submission"
    past = notify.infra.clock.now() - timedelta(seconds=1)
    doc |= {
        "_id": f"trips-{uuid.uuid4().hex}",
        "event_id": f"trips-{uuid.uuid4().hex}",
        "channel": "inbox",
        "status": "pending",
        "attempts": 0,
        "due_at": past,
        "lease_until": past,
    }
    await col.insert_one(doc)
    return str(doc["_id"])


async def test_one_outbox_write_for_all_events_and_a_repeated_event_is_dropped(
    platform: Platform,
) -> None:
    outbox = Outbox(platform.credit.infra.db, f"outbox_trips_{RUN}")
    now = platform.credit.infra.clock.now()
    envelopes = [
        make_envelope(
            CreditIncident.model_validate(
                {
                    "subject_id": "500000-SCJ",
                    "subject_kind": "department",
                    "incident_type": "overdue_escalation",
                    "severity": "general",
                    "source_system": "egov-monitor",
                    "evidence": [f"STAGE-{RUN}-{i}"],
                    "occurred_at": now,
                }
            ),
            source="/egov/monitor",
            time=now,
        )
        for i in range(3)
    ]
    with counting("outbox: three events"):
        await outbox.add(envelopes, session=None)
    # The same deterministic ids again (a handler's retry): nothing new, no error.
    await outbox.add([envelopes[0], envelopes[2]], session=None)
    assert COMMANDS.of("outbox: three events") == {"insert": 1}
    assert await outbox.pending() == 3
