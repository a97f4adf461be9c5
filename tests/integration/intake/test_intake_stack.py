"""Intake on the real broker and database: HTTP submission to CaseSubmitted on egov.cases,
idempotent retry, the external publisher path (valid, duplicate, invalid -> dead letter, another
type than a submission -> dead letter), credit unavailable -> skipped, rating rules with
rectification events, rating invitations."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from services.intake.bootstrap import IntakeService, build
from services.intake.settings import IntakeSettings
from shared.contracts import (
    DEAD_LETTER_TOPIC,
    T_CASES,
    T_INTAKE_IN,
    CaseDecided,
    CaseSubmissionReceived,
    Envelope,
    derived_event_id,
    make_envelope,
)
from shared.contracts.envelope import DEV_EVENT_ID_KEY
from shared.identifiers import make_resident_id, make_uscc
from shared.kafka import read_dead_letter_headers
from shared.kafka.metadata import topic_partitions
from tests.support.events import prereview_done, stage_opened
from tests.support.service_stack import serving
from tests.support.tokens import SignedInApplicant, lasting_token, officer_headers

pytestmark = pytest.mark.integration

RUN = uuid.uuid4().hex[:8]
UPLOAD = {"form": "upload", "sha256": "a" * 64, "size": 2048}
PERSON = make_resident_id("500103", date(1988, 8, 8), 21)


class Stack:
    def __init__(self, service: IntakeService, http: httpx.AsyncClient, bootstrap: str) -> None:
        self.service = service
        self.http = http
        self.bootstrap = bootstrap
        self.started = datetime.now(UTC)

    async def read(
        self,
        topic: str,
        match: Callable[[Any], bool],
        *,
        expect: int = 1,
        timeout: float = 30,
        settle: float = 0.0,
    ) -> list[Any]:
        """Records of ``topic`` written since the module started that ``match`` selects."""
        reader = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, enable_auto_commit=False)
        await reader.start()
        try:
            parts = await topic_partitions(reader, topic)
            reader.assign(parts)
            await reader.seek_to_beginning(*parts)
            found: list[Any] = []
            deadline = time.monotonic() + timeout
            settle_until: float | None = None
            while time.monotonic() < deadline:
                for records in (await reader.getmany(timeout_ms=500)).values():
                    for r in records:
                        # this stack's own records only: another module's intake (its own database,
                        # so its own case numbers) may have used the same case id just before
                        if r.timestamp / 1000 >= self.started.timestamp() - 0.001 and match(r):
                            found.append(r)
                if len(found) >= expect:
                    settle_until = settle_until or time.monotonic() + settle
                    if time.monotonic() >= settle_until:
                        break
            return found
        finally:
            await reader.stop()


def envelope_of(record: Any) -> Envelope:
    return Envelope.from_json_bytes(record.value)


def of_type(event_type: str, case_id: str) -> Callable[[Any], bool]:
    def match(record: Any) -> bool:
        try:
            env = envelope_of(record)
        except ValueError:
            return False
        return env.type == event_type and env.subject == case_id

    return match


@pytest.fixture(scope="module")
async def stack(kafka_bootstrap: str, mongo_uri: str) -> AsyncIterator[Stack]:
    settings = IntakeSettings(
        kafka_bootstrap=kafka_bootstrap,
        mongo_uri=mongo_uri,
        mongo_db=f"intake_it_{RUN}",
        consumer_group=f"intake-it-{RUN}",
        credit_url="http://127.0.0.1:9",
        credit_timeout_s=0.5,
        rating_invite_after_days=0.0,
        rating_invite_interval_s=0.5,
        consumer_retry_backoff_s=0.05,
        outbox_poll_s=0.1,
        item_cache_s=0,
    )
    service = build(settings)
    async with serving(service, "http://intake", auth=SignedInApplicant(settings)) as http:
        yield Stack(service, http, kafka_bootstrap)


def submission(marker: str, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "item_code": "500000-SCJ-001",
        "applicant": {"kind": "person", "id_number": PERSON, "name": "李四"},
        "form": {"company_name": "测试有限公司", "marker": marker},
        "materials": [
            {"code": c, **UPLOAD} for c in ("id_card", "application_form", "articles", "premises")
        ],
        "receiving_region": "500000",
    }
    body.update(changes)
    return body


async def test_http_submission_is_published_as_case_submitted(stack: Stack) -> None:
    marker = uuid.uuid4().hex
    r = await stack.http.post("/v1/cases", json=submission(marker))
    assert r.status_code == 201, r.text
    case_id = r.json()["case_id"]
    [record] = await stack.read(T_CASES, of_type("gov.egov.case.submitted.v1", case_id))
    env = envelope_of(record)
    assert record.key == case_id.encode()
    assert env.data["form"]["marker"] == marker and env.data["item_name"]
    # Derived under the stack's own key, not the published one (tests/unit/shared/test_event_ids.py).
    assert stack.service.settings.event_id_key.get_secret_value() != DEV_EVENT_ID_KEY
    assert env.id == derived_event_id("case.submitted", case_id)
    assert [s["stage"] for s in env.data["stage_plan"]] == ["accept", "review", "decide", "deliver"]
    view = await stack.http.get(
        f"/v1/cases/{case_id}", params={"code": r.json()["verification_code"]}
    )
    assert view.status_code == 200 and view.json()["status"] == "submitted"


async def test_retry_with_the_same_idempotency_key_creates_one_case(stack: Stack) -> None:
    marker = uuid.uuid4().hex
    headers = {"Idempotency-Key": f"it-{marker}"}
    first, second = await asyncio.gather(
        stack.http.post("/v1/cases", json=submission(marker), headers=headers),
        stack.http.post("/v1/cases", json=submission(marker), headers=headers),
    )
    third = await stack.http.post("/v1/cases", json=submission(marker), headers=headers)
    assert sorted([first.status_code, second.status_code]) == [200, 201]
    assert first.json()["case_id"] == second.json()["case_id"] == third.json()["case_id"]
    case_id = first.json()["case_id"]
    found = await stack.read(T_CASES, of_type("gov.egov.case.submitted.v1", case_id), settle=2)
    assert len(found) == 1
    assert await stack.service.infra.db["cases"].count_documents({"form.marker": marker}) == 1


async def test_concurrent_wrong_codes_are_all_counted_then_paused(stack: Stack) -> None:
    r = await stack.http.post("/v1/cases", json=submission(uuid.uuid4().hex))
    assert r.status_code == 201, r.text
    case_id, right = r.json()["case_id"], r.json()["verification_code"]
    limit = stack.service.settings.code_max_failures
    answers = await asyncio.gather(
        *(
            stack.http.get(f"/v1/cases/{case_id}", headers={"X-Verification-Code": "WRONG234"})
            for _ in range(limit + 5)
        )
    )
    # Each attempt is recorded atomically before its code is compared: no burst gets more
    # guesses than the limit.
    assert sorted(a.status_code for a in answers) == [404] * limit + [429] * 5
    paused = await stack.http.get(f"/v1/cases/{case_id}", headers={"X-Verification-Code": right})
    assert paused.status_code == 429 and int(paused.headers["Retry-After"]) > 0


async def produce(bootstrap: str, envelope: Envelope | bytes, key: str) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        value = envelope if isinstance(envelope, bytes) else envelope.to_json_bytes()
        await producer.send_and_wait(T_INTAKE_IN, value=value, key=key.encode())
    finally:
        await producer.stop()


def external(external_id: str, **changes: Any) -> Envelope:
    data: dict[str, Any] = {
        "external_id": external_id,
        "source_system": "cd-window-system",
        "applicant": {"kind": "entity", "id_number": make_uscc(11), "name": "成都某某有限公司"},
        "item_code": "510100-ZJJ-001",
        "materials": [{"code": "application_form", **UPLOAD}],
        "channel": "window",
        "receiving_region": "510100",
        "submitted_at": datetime.now(UTC).isoformat(),
    }
    data.update(changes)
    return make_envelope(
        CaseSubmissionReceived.model_validate(data), source="/cd/window", time=datetime.now(UTC)
    )


async def test_external_submissions_valid_duplicate_and_invalid(stack: Stack) -> None:
    ext = f"WIN-{uuid.uuid4().hex[:10]}"
    bad = f"WIN-BAD-{uuid.uuid4().hex[:10]}"
    await produce(stack.bootstrap, external(ext), ext)
    await produce(stack.bootstrap, external(ext), ext)  # the same submission published again
    bad_id = make_uscc(11)[:17] + ("0" if make_uscc(11)[17] != "0" else "1")
    await produce(
        stack.bootstrap,
        external(bad, applicant={"kind": "entity", "id_number": bad_id, "name": "x"}),
        bad,
    )

    def submitted_for(record: Any) -> bool:
        env = envelope_of(record)
        return env.type == "gov.egov.case.submitted.v1" and env.data.get("external_ref") == (
            f"cd-window-system/{ext}"
        )

    found = await stack.read(T_CASES, submitted_for, settle=3)
    assert len(found) == 1
    env = envelope_of(found[0])
    assert env.subject.startswith("510100-") and env.data["channel"] == "window"

    [dead] = await stack.read(DEAD_LETTER_TOPIC, lettered_by_intake(bad))
    headers = read_dead_letter_headers(dead.headers)
    assert headers["dlq.reason"] == "rejected"
    assert (
        "applicant.id_number" in headers["dlq.error"] and "check character" in headers["dlq.error"]
    )
    assert json.loads(dead.value)["data"]["external_id"] == bad


async def test_credit_service_unavailable_marks_the_check_skipped(stack: Stack) -> None:
    body = submission(uuid.uuid4().hex)
    body["materials"][3] = {"code": "premises", "form": "commitment", "commitment_text": "承诺"}
    r = await stack.http.post("/v1/cases", json=body)
    assert r.status_code == 201, r.text
    case_id = r.json()["case_id"]
    [record] = await stack.read(T_CASES, of_type("gov.egov.case.submitted.v1", case_id))
    check = envelope_of(record).data["credit_check"]
    assert check["skipped"] is True and "credit service unavailable" in check["reason"]
    assert envelope_of(record).data["commitment_used"] is True


def lettered_by_intake(key: str) -> Callable[[Any], bool]:
    """A dead letter this run's intake wrote for the message with ``key``."""

    def letter(record: Any) -> bool:
        h = read_dead_letter_headers(record.headers)
        return h.get("dlq.consumer") == f"intake-it-{RUN}" and record.key == key.encode()

    return letter


def decision(case_id: str) -> CaseDecided:
    return CaseDecided(
        case_id=case_id,
        decision="approved",
        department="500000-SCJ",
        item_code="500000-SCJ-001",
        region="500000",
        decided_at=datetime.now(UTC),
    )


async def decide(stack: Stack, case_id: str) -> None:
    env = make_envelope(decision(case_id), source="/egov/approval", time=datetime.now(UTC))
    await stack.service.infra.publisher.publish(env)


async def wait_status(stack: Stack, case_id: str, code: str, status: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while True:
        view = (await stack.http.get(f"/v1/cases/{case_id}", params={"code": code})).json()
        if view["status"] == status or time.monotonic() > deadline:
            return dict(view)
        await asyncio.sleep(0.2)


async def test_a_decision_on_the_submissions_topic_is_dead_lettered_and_decides_nothing(
    stack: Stack,
) -> None:
    """Intake routes by type; egov.intake.submissions is written by other systems, so a
    well-formed decision published there must not decide the case (it belongs on egov.stages)."""
    created = (await stack.http.post("/v1/cases", json=submission(uuid.uuid4().hex))).json()
    case_id, code = created["case_id"], created["verification_code"]
    forged = make_envelope(
        decision(case_id), source="/cq/mobile-app", time=datetime.now(UTC), id=f"d-{case_id}"
    )
    ext = f"WIN-{uuid.uuid4().hex[:10]}"
    # One key: the forged decision and the valid submission after it share a partition, in order.
    await produce(stack.bootstrap, forged, ext)
    await produce(stack.bootstrap, external(ext), ext)

    [dead] = await stack.read(DEAD_LETTER_TOPIC, lettered_by_intake(ext))
    headers = read_dead_letter_headers(dead.headers)
    assert headers["dlq.reason"] == "wrong_topic"
    assert headers["dlq.source.topic"] == T_INTAKE_IN
    assert headers["dlq.event_type"] == CaseDecided.event_type
    assert dead.value == forged.to_json_bytes()

    def submitted_for(record: Any) -> bool:
        env = envelope_of(record)
        return env.data.get("external_ref") == f"cd-window-system/{ext}"

    assert len(await stack.read(T_CASES, submitted_for)) == 1  # the consumer carried on
    view = await stack.http.get(f"/v1/cases/{case_id}", params={"code": code})
    assert view.json()["status"] == "submitted"
    # The same event from where decisions belong still decides the case.
    await stack.service.infra.publisher.publish(forged)
    assert (await wait_status(stack, case_id, code, "decided"))["status"] == "decided"


async def test_rating_rectification_and_invitation_events(stack: Stack) -> None:
    rated_case = (await stack.http.post("/v1/cases", json=submission(uuid.uuid4().hex))).json()
    unrated = (await stack.http.post("/v1/cases", json=submission(uuid.uuid4().hex))).json()
    case_id, code = rated_case["case_id"], rated_case["verification_code"]
    r = await stack.http.post(
        f"/v1/cases/{case_id}/rating", params={"code": code}, json={"level": "very_dissatisfied"}
    )
    assert r.status_code == 409  # not decided yet
    await decide(stack, case_id)
    await decide(stack, unrated["case_id"])
    assert (await wait_status(stack, case_id, code, "decided"))["status"] == "decided"

    r = await stack.http.post(
        f"/v1/cases/{case_id}/rating",
        params={"code": code},
        json={"level": "very_dissatisfied", "comment": "跑了三次"},
    )
    assert r.status_code == 201, r.text
    again = await stack.http.post(
        f"/v1/cases/{case_id}/rating", params={"code": code}, json={"level": "satisfied"}
    )
    assert again.status_code == 409
    rect_id = r.json()["rectification"]["rectification_id"]
    token = lasting_token(
        stack.service.settings,
        subject="head-scj",
        roles=["department_head"],
        department="500000-SCJ",
    )
    r = await stack.http.post(
        f"/v1/rectifications/{rect_id}/answer",
        json={"answer": "已整改"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 200, r.text

    [rated] = await stack.read(T_CASES, of_type("gov.egov.case.rated.v1", case_id))
    assert envelope_of(rated).data["level"] == "very_dissatisfied"
    [opened] = await stack.read(T_CASES, of_type("gov.egov.rectification.opened.v1", case_id))
    assert envelope_of(opened).data["department"] == "500000-SCJ"
    [closed] = await stack.read(T_CASES, of_type("gov.egov.rectification.closed.v1", case_id))
    assert envelope_of(closed).data["answer"] == "已整改"
    # the unrated decided case is invited once (the sweep runs every 0.5 s)
    invited = await stack.read(
        T_CASES, of_type("gov.egov.case.rating_invited.v1", unrated["case_id"]), settle=2
    )
    assert len(invited) == 1


def admin_headers(stack: Stack) -> dict[str, str]:
    return officer_headers(stack.service.settings, subject="admin-it", roles=["admin"])


async def test_catalog_loaded_into_mongo_and_managed_by_admins(stack: Stack) -> None:
    items = (await stack.http.get("/v1/catalog/items")).json()
    assert len(items) >= 20 and {i["region"] for i in items} == {"500000", "510100"}
    base = (await stack.http.get("/v1/catalog/items/500000-SCJ-003")).json()
    code = f"500000-SCJ-{uuid.uuid4().int % 900 + 100}"
    new = {**base, "code": code, "name": "集成测试事项"}
    r = await stack.http.post("/v1/catalog/items", json=new, headers=admin_headers(stack))
    assert r.status_code == 201, r.text
    r = await stack.http.post("/v1/catalog/items", json=new, headers=admin_headers(stack))
    assert r.status_code == 409
    materials = [{"code": c, **UPLOAD} for c in ("id_card", "application_form")]
    body = submission(uuid.uuid4().hex, item_code=code, materials=materials)
    assert (await stack.http.post("/v1/cases", json=body)).status_code == 201
    r = await stack.http.post(f"/v1/catalog/items/{code}/close", headers=admin_headers(stack))
    assert r.status_code == 200 and r.json()["status"] == "closed"
    r = await stack.http.post("/v1/cases", json=body)
    assert r.status_code == 409 and "closed" in r.json()["detail"]


async def publish(stack: Stack, data: Any) -> None:
    env = make_envelope(data, source="/egov/approval", time=datetime.now(UTC))
    await stack.service.infra.publisher.publish(env)


async def test_progress_from_egov_stages_and_supplements(stack: Stack) -> None:
    created = (await stack.http.post("/v1/cases", json=submission(uuid.uuid4().hex))).json()
    case_id, code = created["case_id"], created["verification_code"]
    now = datetime.now(UTC)
    await publish(
        stack,
        prereview_done(
            case_id, reasons=["章程缺少股东签字"], requested_materials=["articles"], decided_at=now
        ),
    )
    view = await wait_status(stack, case_id, code, "supplement_requested")
    assert view["status"] == "supplement_requested"
    assert "章程缺少股东签字" in view["timeline"][-1]["text"]
    r = await stack.http.post(
        f"/v1/cases/{case_id}/supplements",
        headers={"X-Verification-Code": code},
        json={"materials": [{"code": "articles", **UPLOAD}]},
    )
    assert r.status_code == 200, r.text
    [supplemented] = await stack.read(T_CASES, of_type("gov.egov.case.supplemented.v1", case_id))
    assert envelope_of(supplemented).data["materials"][0]["code"] == "articles"
    due = datetime(2026, 12, 31, 15, 59, 59, tzinfo=UTC)
    await publish(
        stack,
        stage_opened(case_id, opened_at=now, due_at=due, limit={"value": 1}),
    )
    view = await wait_status(stack, case_id, code, "in_progress")
    assert view["deadline"] == due.isoformat() and view["current_stages"][0]["name"] == "审查"


async def test_concurrent_ratings_record_exactly_one(stack: Stack) -> None:
    created = (await stack.http.post("/v1/cases", json=submission(uuid.uuid4().hex))).json()
    case_id, code = created["case_id"], created["verification_code"]
    await decide(stack, case_id)
    await wait_status(stack, case_id, code, "decided")
    answers = await asyncio.gather(
        *(
            stack.http.post(
                f"/v1/cases/{case_id}/rating", params={"code": code}, json={"level": level}
            )
            for level in ("satisfied", "dissatisfied", "very_satisfied")
        )
    )
    assert sorted(a.status_code for a in answers) == [201, 409, 409]
    rated = await stack.read(T_CASES, of_type("gov.egov.case.rated.v1", case_id), settle=2)
    assert len(rated) == 1
