"""The credit service on the real broker and database: incidents in on egov.credit.incidents,
CreditChanged out on egov.credit.changes, objection stages on egov.stages, HTTP for people."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer

from services.credit.bootstrap import CreditService, build
from services.credit.domain import evaluate
from services.credit.handlers import on_credit_incident, reevaluate
from services.credit.settings import CreditSettings
from shared.calendar import Limit
from shared.clock import SHANGHAI, FixedClock
from shared.contracts import CreditIncident, Envelope, make_envelope
from shared.identifiers import make_resident_id, make_uscc, uscc_error
from shared.kafka.metadata import topic_partitions
from tests.support.service_stack import Running, running
from tests.support.tokens import bearer_of

pytestmark = pytest.mark.integration

START = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
MODULE_ID = uuid.uuid4().hex[:10]


Stack = Running[CreditService, CreditSettings]


@pytest.fixture(scope="module")
async def stack(kafka_bootstrap: str, mongo_uri: str) -> AsyncIterator[Stack]:
    settings = CreditSettings(
        kafka_bootstrap=kafka_bootstrap,
        mongo_uri=mongo_uri,
        mongo_db=f"egov_credit_it_{MODULE_ID}",
        consumer_group=f"credit-it-{MODULE_ID}",
        outbox_poll_s=0.1,
        consumer_retry_backoff_s=0.05,
        log_json=False,
    )
    clock = FixedClock(START)
    async with running(build(settings, clock=clock), settings, clock, "http://credit") as stack:
        yield stack


def person(uid: str) -> str:
    n = int(uid[:8], 16)
    return make_resident_id("500103", date(1960, 1, 1) + timedelta(days=n % 15000), n % 1000)


def entity(uid: str) -> str:
    return make_uscc(int(uid[:10], 16))


def incident(
    stack: Stack,
    subject_id: str,
    kind: str,
    severity: str,
    *,
    source: str,
    source_system: str,
    incident_type: str,
    evidence: str,
    region: str | None = None,
) -> Envelope:
    data = CreditIncident.model_validate(
        {
            "subject_id": subject_id,
            "subject_kind": kind,
            "incident_type": incident_type,
            "severity": severity,
            "source_system": source_system,
            "evidence": [evidence],
            "description": f"{incident_type} ({evidence})",
            "region": region,
            "occurred_at": stack.clock.now(),
        }
    )
    return make_envelope(data, source=source, time=stack.clock.now())


async def send(stack: Stack, env: Envelope, raw: bytes | None = None) -> None:
    await stack.producer.send_and_wait(
        "egov.credit.incidents", raw or env.to_json_bytes(), key=env.subject.encode()
    )


def auth(stack: Stack, sub: str, *roles: str, department: str | None = None) -> dict[str, str]:
    return bearer_of(stack.settings, sub, *roles, department=department)


async def credit(stack: Stack, subject_id: str, headers: dict[str, str] | None = None) -> Any:
    r = await stack.client.get(f"/v1/subjects/{subject_id}/credit", headers=headers or {})
    assert r.status_code == 200, r.text
    return r.json()


async def wait_records(
    stack: Stack,
    subject_id: str,
    ready: Callable[[list[dict[str, Any]]], bool],
    timeout: float = 30,
) -> dict[str, Any]:
    headers = auth(stack, "watcher", "supervisor", department="500000-FGW")  # the credit office
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        body = await credit(stack, subject_id, headers)
        if ready(body["records"]):
            return dict(body)
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{subject_id}: records not ready: {body['records']}")
        await asyncio.sleep(0.2)


def with_evidence(ev: str, n: int = 1) -> Callable[[list[dict[str, Any]]], bool]:
    return lambda records: sum(ev in r["evidence"] for r in records) >= n


def dead_letter_id(item: tuple[Any, str]) -> str | None:
    """The event id of a dead letter, None when its value is no JSON object (other modules'
    deliberately bad messages share the topic)."""
    try:
        value = json.loads(item[1])
    except ValueError:
        return None
    return value.get("id") if isinstance(value, dict) else None


async def read_topic(
    stack: Stack,
    topic: str,
    match: Callable[[Any], bool],
    done: Callable[[list[Any]], bool],
    timeout: float = 30,
) -> list[Any]:
    """Matching records of ``topic`` from the beginning: envelopes (dicts), or for the dead-letter
    topic (headers, value) pairs."""
    consumer = AIOKafkaConsumer(bootstrap_servers=stack.bootstrap, enable_auto_commit=False)
    await consumer.start()
    found: list[Any] = []
    try:
        parts = await topic_partitions(consumer, topic)
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        deadline = asyncio.get_running_loop().time() + timeout
        while not done(found):
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"{topic}: only {len(found)} matching events")
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                for rec in records:
                    if topic == "egov.deadletter":
                        item: Any = ({k: v.decode() for k, v in rec.headers}, rec.value)
                    else:
                        item = json.loads(rec.value)
                    if match(item):
                        found.append(item)
    finally:
        await consumer.stop()
    return found


def opened_and_closed(events: list[dict[str, Any]]) -> bool:
    types = {e["type"] for e in events}
    return {"gov.egov.stage.opened.v1", "gov.egov.stage.closed.v1"} <= types


def changes_for(record_ids: set[str]) -> Callable[[dict[str, Any]], bool]:
    return lambda env: env["data"].get("record_id") in record_ids


def at_least(n: int) -> Callable[[list[Any]], bool]:
    # Delivery is at least once (a rebalance may repeat a dead letter, a relay restart an
    # event): tests look at the first copy and never count copies on the bus.
    return lambda found: len(found) >= n


# -- incident sources -------------------------------------------------------------------------


async def test_monitor_department_incident(stack: Stack, unique_id: str) -> None:
    env = incident(
        stack,
        "500000-SCJ",
        "department",
        "serious",
        source="/egov/monitor",
        source_system="egov-monitor",
        incident_type="overdue_escalation",
        evidence=f"STAGE-{unique_id}",
    )
    await send(stack, env)
    body = await wait_records(stack, "500000-SCJ", with_evidence(f"STAGE-{unique_id}"))
    [record] = [r for r in body["records"] if f"STAGE-{unique_id}" in r["evidence"]]
    assert record["subject_kind"] == "department" and record["source_system"] == "egov-monitor"
    assert record["department"] == "500000-SCJ" and record["status"] == "active"
    public = await credit(stack, "500000-SCJ")
    assert any(r["record_id"] == record["record_id"] for r in public["records"])
    ranking = await stack.client.get(
        "/v1/rankings/departments?from=2026-03-01&to=2026-03-31",
        headers=auth(stack, "sup", "supervisor"),
    )
    rows = {r["department"]: r for r in ranking.json()["departments"]}
    assert rows["500000-SCJ"]["records"] >= 1


async def test_approval_false_commitment_lowers_level_and_publishes(
    stack: Stack, unique_id: str
) -> None:
    pid = person(unique_id)
    env = incident(
        stack,
        pid,
        "person",
        "serious",
        source="/egov/approval",
        source_system="egov-approval",
        incident_type="false_commitment",
        evidence=f"CASE-{unique_id}",
        region="500000",
    )
    await send(stack, env)
    body = await wait_records(stack, pid, with_evidence(f"CASE-{unique_id}"))
    assert (body["level"], body["red_list"], body["black_list"]) == ("B", False, False)
    record_id = body["records"][0]["record_id"]
    changed, *_ = await read_topic(
        stack, "egov.credit.changes", changes_for({record_id}), at_least(1)
    )
    assert changed["subject"] == pid and changed["causationid"] == env.id
    data = changed["data"]
    assert (data["previous_level"], data["level"], data["red_list"]) == ("A", "B", False)


async def test_external_court_record_black_lists(stack: Stack, unique_id: str) -> None:
    uscc = entity(unique_id)
    env = incident(
        stack,
        uscc,
        "entity",
        "very_serious",
        source="/court/cq-high-court",
        source_system="cq-court",
        incident_type="court_judgment_unfulfilled",
        evidence=f"(2026)渝01执{unique_id[:6]}号",
    )
    await send(stack, env)
    body = await wait_records(stack, uscc, lambda records: len(records) == 1)
    assert body["black_list"] is True and body["level"] == "C"
    record = body["records"][0]
    assert record["source_system"] == "cq-court" and record["severity"] == "very_serious"
    changed, *_ = await read_topic(
        stack, "egov.credit.changes", changes_for({record["record_id"]}), at_least(1)
    )
    assert changed["data"]["black_list"] is True and changed["data"]["level"] == "C"
    system = await credit(stack, uscc, auth(stack, "svc-intake", "system"))
    assert system["black_list"] is True and system["red_list"] is False


async def test_duplicate_and_invalid_external_events(stack: Stack, unique_id: str) -> None:
    uscc = entity(unique_id)
    env = incident(
        stack,
        uscc,
        "entity",
        "general",
        source="/tax/cq",
        source_system="cq-tax",
        incident_type="tax_arrears",
        evidence=f"TAX-{unique_id}",
    )
    await send(stack, env)
    await send(stack, env)  # the same event again: ignored
    pid = person(unique_id)
    # A wrong check character; 18 such characters can by chance be a valid social credit code
    # (one in 31), which the credit service would rightly accept: pick one that is neither.
    bad_id = next(
        candidate
        for candidate in (pid[:-1] + c for c in "0123456789X" if c != pid[-1])
        if uscc_error(candidate) is not None
    )
    bad = incident(
        stack,
        bad_id,
        "person",
        "general",
        source="/tax/cq",
        source_system="cq-tax",
        incident_type="tax_arrears",
        evidence=f"TAX-{unique_id}",
    )
    await send(stack, bad)
    broken = json.loads(env.to_json_bytes())
    broken["id"] = f"broken-{unique_id}"
    broken["data"]["severity"] = "catastrophic"  # not in the contract
    await send(stack, env, raw=json.dumps(broken).encode())
    marker = incident(  # sent after the copies: once recorded, the copies were handled too
        stack,
        uscc,
        "entity",
        "general",
        source="/tax/cq",
        source_system="cq-tax",
        incident_type="tax_arrears",
        evidence=f"TAX2-{unique_id}",
    )
    await send(stack, marker)
    body = await wait_records(stack, uscc, with_evidence(f"TAX2-{unique_id}"))
    assert len(body["records"]) == 2
    (headers, _), *_ = await read_topic(
        stack,
        "egov.deadletter",
        lambda item: dead_letter_id(item) == bad.id,
        at_least(1),
    )
    assert headers["dlq.reason"] == "rejected"
    assert "check character" in headers["dlq.error"]
    assert headers["dlq.source.topic"] == "egov.credit.incidents"
    (headers, _), *_ = await read_topic(
        stack,
        "egov.deadletter",
        lambda item: dead_letter_id(item) == f"broken-{unique_id}",
        at_least(1),
    )
    assert headers["dlq.reason"] == "schema_violation" and "severity" in headers["dlq.error"]
    assert (await stack.client.get(f"/v1/subjects/{bad_id}/credit")).status_code == 422


# -- objections -------------------------------------------------------------------------------


async def _recorded(stack: Stack, uid: str, severity: str = "serious") -> tuple[str, str]:
    pid = person(uid)
    await send(
        stack,
        incident(
            stack,
            pid,
            "person",
            severity,
            source="/egov/approval",
            source_system="egov-approval",
            incident_type="false_commitment",
            evidence=f"CASE-{uid}",
            region="510100",
        ),
    )
    body = await wait_records(stack, pid, with_evidence(f"CASE-{uid}"))
    return pid, body["records"][0]["record_id"]


def for_objection(objection_id: str) -> Callable[[dict[str, Any]], bool]:
    return lambda env: env["data"].get("case_id") == objection_id


async def test_objection_rejected_then_upheld(stack: Stack, unique_id: str) -> None:
    pid, rid = await _recorded(stack, unique_id)
    me = auth(stack, pid, "applicant")
    r = await stack.client.post(
        f"/v1/records/{rid}/objections", json={"reason": "不是我"}, headers=me
    )
    assert r.status_code == 201, r.text
    oid = r.json()["objection_id"]
    assert r.json()["department"] == "510100-FGW"
    public = await credit(stack, pid)
    assert public["records"] == []  # disputed records are not public
    chengdu = auth(stack, "fgw-1", "supervisor", department="510100-FGW")
    r = await stack.client.post(
        f"/v1/objections/{oid}/decision",
        json={"outcome": "rejected", "reason": "证据确凿"},
        headers=chengdu,
    )
    assert r.status_code == 200 and r.json()["status"] == "active"
    events = await read_topic(stack, "egov.stages", for_objection(oid), opened_and_closed)
    opened = next(e for e in events if e["type"] == "gov.egov.stage.opened.v1")
    closed = next(e for e in events if e["type"] == "gov.egov.stage.closed.v1")
    assert (
        opened["data"]["stage"] == "objection" and opened["data"]["item_code"] == "credit-objection"
    )
    assert opened["data"]["stage_id"] == f"{oid}:objection"
    assert opened["data"]["department"] == "510100-FGW"
    due = datetime.fromisoformat(opened["data"]["due_at"])
    assert due == stack.service.deps.calendar.deadline(START, Limit(value=10))
    assert due.astimezone(SHANGHAI).date() == date(2026, 3, 16)  # 10 working days
    assert closed["data"]["outcome"] == "denied" and closed["data"]["reason"] == "证据确凿"

    r = await stack.client.post(
        f"/v1/records/{rid}/objections", json={"reason": "新证据"}, headers=me
    )
    oid2 = r.json()["objection_id"]
    assert oid2 != oid
    r = await stack.client.post(
        f"/v1/objections/{oid2}/decision",
        json={"outcome": "upheld", "resolution": "revoked", "reason": "法院撤销"},
        headers=chengdu,
    )
    assert r.status_code == 200 and r.json()["status"] == "revoked"
    actions = [h["action"] for h in r.json()["history"]]
    assert actions == [
        "recorded",
        "objection_filed",
        "objection_rejected",
        "objection_filed",
        "objection_upheld",
    ]
    events = await read_topic(stack, "egov.stages", for_objection(oid2), opened_and_closed)
    assert {e["data"].get("outcome") for e in events} >= {"approved"}
    own = await credit(stack, pid, me)
    assert own["level"] == "A" and own["records"][0]["status"] == "revoked"
    back = await read_topic(
        stack,
        "egov.credit.changes",
        lambda env: env["subject"] == pid and env["data"]["level"] == "A",
        at_least(1),
    )
    assert back[0]["data"]["previous_level"] == "B"


# -- visibility -------------------------------------------------------------------------------


async def test_visibility_by_caller(stack: Stack, unique_id: str) -> None:
    pid, rid = await _recorded(stack, unique_id)
    own = await credit(stack, pid, auth(stack, pid, "applicant"))
    officer = await credit(stack, pid, auth(stack, "o-1", "reviewer"))
    system = await credit(stack, pid, auth(stack, "svc-intake", "system"))
    public = await credit(stack, pid)
    stranger = await credit(stack, pid, auth(stack, person(unique_id[::-1]), "applicant"))
    assert own["records"][0]["history"] and own["records"][0]["evidence"] == [f"CASE-{unique_id}"]
    assert officer["records"][0]["record_id"] == rid and system["level"] == "B"
    unknown = await credit(stack, entity(unique_id[::-1]), auth(stack, "svc-intake", "system"))
    assert (unknown["level"], unknown["red_list"], unknown["black_list"]) == ("A", True, False)
    assert unknown["records"] == []
    for view in (public, stranger):
        assert view["viewer"] == "public" and view["level"] == "B"
        assert pid not in json.dumps(view) and view["records"][0]["record_id"] == rid
        assert "evidence" not in view["records"][0]


# -- concurrency ------------------------------------------------------------------------------


async def test_concurrent_incidents_for_one_subject(stack: Stack, unique_id: str) -> None:
    uscc = entity(unique_id)

    def make(i: int) -> Envelope:
        return incident(
            stack,
            uscc,
            "entity",
            "general",
            source=f"/registry/{i % 3}",
            source_system="licence-registry",
            incident_type="false_report",
            evidence=f"R-{unique_id}-{i}",
        )

    via_bus = [make(i) for i in range(10)]
    direct = [make(i) for i in range(10, 20)]  # a second replica handling the same subject
    deps = stack.service.deps
    await asyncio.gather(
        *(send(stack, env) for env in via_bus),
        *(on_credit_incident(deps, env, CreditIncident.model_validate(env.data)) for env in direct),
    )
    body = await wait_records(stack, uscc, lambda records: len(records) >= 20)
    assert len(body["records"]) == 20
    subject = await deps.store.subject(uscc)
    assert subject is not None and subject.version == 20
    records = await deps.store.records_of(uscc)
    expected = evaluate(records, stack.clock.now(), deps.rules)
    assert (
        (subject.level, subject.black_list) == (expected.level, expected.black_list) == ("D", True)
    )
    changes = await read_topic(
        stack,
        "egov.credit.changes",
        lambda env: env["subject"] == uscc,
        lambda found: any(e["data"]["level"] == "D" for e in found),
    )
    assert changes[-1]["data"]["level"] == "D" and changes[-1]["data"]["black_list"] is True


# -- repair (moves the module's clock forward: keep last) -------------------------------------


async def test_repair_timing_by_severity(stack: Stack, unique_id: str) -> None:
    cases = {}
    for severity in ("general", "serious", "very_serious"):
        uid = uuid.uuid5(uuid.UUID(unique_id), severity).hex
        cases[severity] = await _recorded(stack, uid, severity)
    fgw = auth(stack, "fgw-2", "supervisor", department="510100-FGW")
    recorded_at = stack.clock.now()
    for severity, months in (("general", 1), ("serious", 3), ("very_serious", 12)):
        pid, rid = cases[severity]
        me = auth(stack, pid, "applicant")
        before = await credit(stack, pid, me)
        assert before["level"] in ("A", "B", "C")
        earliest = datetime.fromisoformat(
            (
                await stack.client.post(
                    f"/v1/records/{rid}/repair", json={"rectification": "已整改"}, headers=me
                )
            ).json()["earliest"]
        )
        month = recorded_at.month - 1 + months
        assert earliest == recorded_at.replace(
            year=recorded_at.year + month // 12, month=month % 12 + 1
        )
        stack.clock.set(earliest - timedelta(seconds=1))
        r = await stack.client.post(
            f"/v1/records/{rid}/repair", json={"rectification": "已整改"}, headers=me
        )
        assert r.status_code == 409 and r.json()["earliest"] == earliest.isoformat()
        stack.clock.set(earliest)
        r = await stack.client.post(
            f"/v1/records/{rid}/repair",
            json={"rectification": "已整改", "evidence": ["receipt"]},
            headers=me,
        )
        assert r.status_code == 202, r.text
        r = await stack.client.post(
            f"/v1/records/{rid}/repair/decision",
            json={"approved": True, "reason": "整改到位"},
            headers=fgw,
        )
        assert r.status_code == 200 and r.json()["status"] == "repaired"
        after = await credit(stack, pid, me)
        assert after["level"] == "A" and after["black_list"] is False
        assert [h["action"] for h in after["records"][0]["history"]][-2:] == [
            "repair_applied",
            "repair_approved",
        ]


async def test_time_alone_lifts_the_level_and_publishes_it(stack: Stack, unique_id: str) -> None:
    pid, rid = await _recorded(stack, unique_id, "serious")
    deps = stack.service.deps
    assert pid in await deps.store.subject_ids()
    stack.clock.advance(timedelta(days=400))  # past the 12-month publicity period
    for subject_id in await deps.store.subject_ids():  # what the periodic sweep does
        await reevaluate(deps, subject_id)
    changed, *_ = await read_topic(
        stack,
        "egov.credit.changes",
        lambda env: env["subject"] == pid and env["data"]["previous_level"] == "B",
        at_least(1),
    )
    assert changed["data"]["level"] == "A" and changed["data"]["red_list"] is True
    assert pid not in {r["subject_id"] for r in (await credit(stack, pid))["records"]}
