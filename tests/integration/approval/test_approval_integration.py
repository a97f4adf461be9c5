"""The approval service on the real broker and database: events in on egov.cases, officers over
HTTP, events out on egov.stages and egov.credit.incidents through the outbox."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from pymongo import AsyncMongoClient
from typer.testing import CliRunner

from services.approval.bootstrap import ApprovalService, build
from services.approval.handlers import lapse_waits
from services.approval.settings import ApprovalSettings
from shared.calendar import Limit
from shared.clock import SHANGHAI, FixedClock
from shared.contracts import (
    Applicant,
    ApplicantKind,
    CaseSubmitted,
    CaseSupplemented,
    Channel,
    Contact,
    EventData,
    Material,
    MaterialForm,
    OwedMaterial,
    OwedMaterials,
    OwedMaterialsSupplied,
    ParallelMode,
    StageKind,
    StagePlanEntry,
    make_envelope,
)
from shared.kafka.metadata import topic_partitions
from tests.support.service_stack import Running, running
from tests.support.tokens import officer_headers

pytestmark = pytest.mark.integration

DEPT, REGION = "500000-SCJ", "500000"
PARALLEL = [DEPT, "500000-ZJW", "500000-XFJY"]
START = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
MODULE_ID = uuid.uuid4().hex[:10]


Stack = Running[ApprovalService, ApprovalSettings]


@pytest.fixture(scope="module")
async def stack(kafka_bootstrap: str, mongo_uri: str) -> AsyncIterator[Stack]:
    settings = ApprovalSettings(
        kafka_bootstrap=kafka_bootstrap,
        mongo_uri=mongo_uri,
        mongo_db=f"egov_approval_it_{MODULE_ID}",
        consumer_group=f"approval-it-{MODULE_ID}",
        outbox_poll_s=0.1,
        log_json=False,
    )
    clock = FixedClock(START)
    async with running(build(settings, clock=clock), settings, clock, "http://approval") as stack:
        yield stack


def plan(*entries: tuple[StageKind, list[str], str, ParallelMode]) -> list[StagePlanEntry]:
    return [
        StagePlanEntry(
            stage=k,
            name=k.value,
            limit=Limit(value=5),
            departments=d,
            required_role=r,
            parallel_mode=m,
        )
        for k, d, r, m in entries
    ]


ALL = ParallelMode.ALL
STANDARD = plan(
    (StageKind.ACCEPT, [DEPT], "handler", ALL),
    (StageKind.REVIEW, [DEPT], "reviewer", ALL),
    (StageKind.DECIDE, [DEPT], "approver", ALL),
    (StageKind.DELIVER, [DEPT], "handler", ALL),
)


async def publish(stack: Stack, data: EventData) -> None:
    env = make_envelope(data, source="/egov/intake", time=stack.clock.now())
    await stack.producer.send_and_wait(
        "egov.cases", env.to_json_bytes(), key=data.event_key().encode()
    )


async def submit(
    stack: Stack,
    case_id: str,
    *,
    stage_plan: list[StagePlanEntry] = STANDARD,
    commitment: bool = False,
    kind: ApplicantKind = ApplicantKind.ENTITY,
    owed: OwedMaterials | None = None,
) -> dict[str, Any]:
    await publish(
        stack,
        CaseSubmitted(
            case_id=case_id,
            item_code="500000-SCJ-001",
            item_name="食品经营许可",
            department=DEPT,
            receiving_region=REGION,
            handling_region=REGION,
            channel=Channel.WEB,
            applicant=Applicant(kind=kind, id_number="91500000MA5U000000", name="某某公司"),
            contact=Contact(),
            materials=[Material(code="form", form=MaterialForm.UPLOAD)],
            commitment_used=commitment,
            commitment_allowed=commitment,
            promised_limit=Limit(value=10),
            statutory_limit=Limit(value=20),
            stage_plan=stage_plan,
            required_materials=["form", *(m.code for m in (owed.materials if owed else []))],
            submitted_at=stack.clock.now(),
            issues_licence=True,
            owed=owed,
        ),
    )
    return await wait_case(stack, case_id, lambda c: True)


def auth(stack: Stack, sub: str, *roles: str, department: str = DEPT) -> dict[str, str]:
    return officer_headers(
        stack.settings,
        subject=sub,
        roles=list(roles),
        department=department,
        region=REGION,
    )


async def wait_case(
    stack: Stack, case_id: str, ready: Callable[[dict[str, Any]], bool], timeout: float = 30
) -> dict[str, Any]:
    headers = auth(stack, "watcher", "supervisor")
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        r = await stack.client.get(f"/v1/cases/{case_id}", headers=headers)
        if r.status_code == 200 and ready(r.json()):
            return dict(r.json())
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"case {case_id} not ready: {r.status_code} {r.text[:300]}")
        await asyncio.sleep(0.2)


async def act(
    stack: Stack, case_id: str, stage: str, action: str, headers: dict[str, str], **body: Any
) -> httpx.Response:
    current = await wait_case(stack, case_id, lambda c: True)
    return await stack.client.post(
        f"/v1/cases/{case_id}/stages/{stage}/{action}",
        json={"version": current["version"], **body},
        headers=headers,
    )


async def ok(
    stack: Stack, case_id: str, stage: str, action: str, headers: dict[str, str], **body: Any
) -> dict[str, Any]:
    r = await act(stack, case_id, stage, action, headers, **body)
    assert r.status_code == 200, r.text
    return dict(r.json())


async def signed(
    stack: Stack, case_id: str, stage: str, action: str, headers: dict[str, str], **body: Any
) -> dict[str, Any]:
    await ok(stack, case_id, stage, "sign-in", headers)
    return await ok(stack, case_id, stage, action, headers, **body)


async def read_topic(
    stack: Stack,
    topic: str,
    match: Callable[[dict[str, Any]], bool],
    done: Callable[[list[dict[str, Any]]], bool],
    timeout: float = 30,
) -> list[dict[str, Any]]:
    consumer = AIOKafkaConsumer(bootstrap_servers=stack.bootstrap, enable_auto_commit=False)
    await consumer.start()
    found: list[dict[str, Any]] = []
    try:
        parts = await topic_partitions(consumer, topic)
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        deadline = asyncio.get_running_loop().time() + timeout
        while not done(found):
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"{topic}: got only {[e['type'] for e in found]}")
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                for rec in records:
                    env = json.loads(rec.value)
                    if match(env):
                        found.append(env)
    finally:
        await consumer.stop()
    return found


def for_case(case_id: str) -> Callable[[dict[str, Any]], bool]:
    return lambda env: env.get("data", {}).get("case_id") == case_id


def has(*types: str) -> Callable[[list[dict[str, Any]]], bool]:
    return lambda events: all(any(e["type"] == f"gov.egov.{t}.v1" for e in events) for t in types)


HANDLER = ("h-1", "handler")
REVIEWER = ("r-1", "reviewer")
APPROVER = ("a-1", "approver")


async def test_happy_path_publishes_every_stage_and_the_decision(stack: Stack) -> None:
    case_id = f"HP-{uuid.uuid4().hex[:8]}"
    case = await submit(stack, case_id)
    pre = case["stages"][0]
    assert pre["kind"] == "prereview"
    assert datetime.fromisoformat(pre["due_at"]).astimezone(SHANGHAI) == datetime(
        2026, 3, 4, 23, 59, 59, tzinfo=SHANGHAI
    )
    h, r, a = auth(stack, *HANDLER), auth(stack, *REVIEWER), auth(stack, *APPROVER)
    await signed(stack, case_id, "prereview", "pass", h)
    await signed(stack, case_id, "accept", "accept", h)
    await signed(stack, case_id, "review", "pass", r)
    await signed(stack, case_id, "decide", "approve", a)
    final = await signed(stack, case_id, "deliver", "deliver", h)
    assert final["status"] == "completed"

    events = await read_topic(
        stack,
        "egov.stages",
        for_case(case_id),
        lambda evs: (
            len([e for e in evs if e["type"].endswith("stage.closed.v1")]) >= 5
            and has("case.decided", "prereview.done")(evs)
        ),
    )
    decided = [e["data"] for e in events if e["type"] == "gov.egov.case.decided.v1"]
    assert decided[0]["decision"] == "approved"
    assert decided[0]["licence_ref"] == f"EL-500000-SCJ-001-{case_id}"
    opened = [e["data"]["stage"] for e in events if e["type"] == "gov.egov.stage.opened.v1"]
    assert opened == [
        "prereview",
        "accept",
        "case_promised",  # acceptance starts the case's own limits
        "case_statutory",
        "review",
        "decide",
        "deliver",
    ]
    signins = [e["data"]["officer"] for e in events if e["type"] == "gov.egov.stage.signed_in.v1"]
    assert signins == ["h-1", "h-1", "r-1", "a-1", "h-1"]


async def test_prereview_supplement_loop_then_fail(stack: Stack) -> None:
    case_id = f"PR-{uuid.uuid4().hex[:8]}"
    await submit(stack, case_id)
    h = auth(stack, *HANDLER)
    await signed(stack, case_id, "prereview", "request-supplements", h, materials=["id_copy"])
    await wait_case(stack, case_id, lambda c: c["status"] == "awaiting_supplement")
    await publish(
        stack,
        CaseSupplemented(
            case_id=case_id,
            materials=[Material(code="id_copy", form=MaterialForm.UPLOAD)],
            supplemented_at=stack.clock.now(),
        ),
    )
    await wait_case(stack, case_id, lambda c: c["status"] == "prereview")
    r = await act(stack, case_id, "prereview", "fail", h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "reasons"
    await ok(stack, case_id, "prereview", "fail", h, reasons=["身份证复印件与原件不符"])
    events = await read_topic(
        stack, "egov.stages", for_case(case_id), has("case.decided", "stage.resumed")
    )
    outcomes = [e["data"]["outcome"] for e in events if e["type"] == "gov.egov.prereview.done.v1"]
    assert outcomes == ["supplement_requested", "failed"]
    [decided] = [e["data"] for e in events if e["type"] == "gov.egov.case.decided.v1"]
    assert decided["decision"] == "prereview_failed"
    assert decided["reasons"] == ["身份证复印件与原件不符"]
    suspended = [e["data"]["reason"] for e in events if e["type"].endswith("stage.suspended.v1")]
    assert suspended == ["supplement"]


async def test_refusal_needs_a_legal_basis(stack: Stack) -> None:
    case_id = f"RF-{uuid.uuid4().hex[:8]}"
    await submit(stack, case_id)
    h = auth(stack, *HANDLER)
    await signed(stack, case_id, "prereview", "pass", h)
    await ok(stack, case_id, "accept", "sign-in", h)
    r = await act(stack, case_id, "accept", "refuse", h, reasons=["不属于本机关职权范围"])
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "legal_basis"
    await ok(
        stack,
        case_id,
        "accept",
        "refuse",
        h,
        reasons=["不属于本机关职权范围"],
        legal_basis="《行政许可法》第三十二条",
    )
    events = await read_topic(stack, "egov.stages", for_case(case_id), has("case.decided"))
    [decided] = [e["data"] for e in events if e["type"] == "gov.egov.case.decided.v1"]
    assert decided["decision"] == "refused" and decided["legal_basis"].startswith("《行政许可法》")


def parallel_plan(mode: ParallelMode) -> list[StagePlanEntry]:
    return plan(
        (StageKind.ACCEPT, [DEPT], "handler", ALL),
        (StageKind.REVIEW, PARALLEL, "reviewer", mode),
        (StageKind.DECIDE, [DEPT], "approver", ALL),
    )


async def _to_parallel(stack: Stack, case_id: str, mode: ParallelMode) -> None:
    await submit(stack, case_id, stage_plan=parallel_plan(mode))
    h = auth(stack, *HANDLER)
    await signed(stack, case_id, "prereview", "pass", h)
    await signed(stack, case_id, "accept", "accept", h)


def reviewer_of(stack: Stack, i: int) -> dict[str, str]:
    return auth(stack, f"r-{i}", "reviewer", department=PARALLEL[i])


async def test_parallel_all_fails_on_a_denial(stack: Stack) -> None:
    case_id = f"PA-{uuid.uuid4().hex[:8]}"
    await _to_parallel(stack, case_id, ParallelMode.ALL)
    await signed(
        stack, case_id, f"{case_id}:review:{PARALLEL[0]}", "approve", reviewer_of(stack, 0)
    )
    case = await signed(
        stack,
        case_id,
        f"{case_id}:review:{PARALLEL[1]}",
        "deny",
        reviewer_of(stack, 1),
        reasons=["消防条件不符合"],
        legal_basis="《消防法》第十五条",
    )
    assert case["status"] == "denied"
    events = await read_topic(stack, "egov.stages", for_case(case_id), has("case.decided"))
    subs = {
        e["data"]["department"]: e["data"]["parent_stage_id"]
        for e in events
        if e["type"] == "gov.egov.stage.opened.v1" and e["data"]["parent_stage_id"]
    }
    assert subs == {d: f"{case_id}:review" for d in PARALLEL}
    closed = {
        e["data"]["stage_id"]: e["data"]["outcome"]
        for e in events
        if e["type"] == "gov.egov.stage.closed.v1"
    }
    assert closed[f"{case_id}:review"] == "denied"
    assert closed[f"{case_id}:review:{PARALLEL[2]}"] == "cancelled"


async def test_parallel_any_passes_on_first_approval_despite_a_denial(stack: Stack) -> None:
    case_id = f"PY-{uuid.uuid4().hex[:8]}"
    await _to_parallel(stack, case_id, ParallelMode.ANY)
    await signed(
        stack,
        case_id,
        f"{case_id}:review:{PARALLEL[0]}",
        "deny",
        reviewer_of(stack, 0),
        reasons=["不符合"],
        legal_basis="第十条",
    )
    case = await signed(
        stack, case_id, f"{case_id}:review:{PARALLEL[1]}", "approve", reviewer_of(stack, 1)
    )
    stages = {s["stage_id"]: s for s in case["stages"]}
    assert stages[f"{case_id}:review"]["outcome"] == "passed"
    assert stages[f"{case_id}:decide"]["state"] == "open"
    # The department whose sub-task was cancelled sees nothing left in its work list.
    tasks = await stack.client.get(
        "/v1/tasks", params={"stage": "review", "limit": 500}, headers=reviewer_of(stack, 2)
    )
    assert all(t["case_id"] != case_id for t in tasks.json()["items"])


async def test_special_procedure_time_is_excluded(stack: Stack) -> None:
    case_id = f"SU-{uuid.uuid4().hex[:8]}"
    stack.clock.set(START)
    await submit(stack, case_id)
    h, r = auth(stack, *HANDLER), auth(stack, *REVIEWER)
    await signed(stack, case_id, "prereview", "pass", h)
    await signed(stack, case_id, "accept", "accept", h)
    await ok(stack, case_id, "review", "sign-in", r)
    await ok(
        stack,
        case_id,
        "review",
        "suspend",
        r,
        suspension_reason="hearing",
        note="听证",
        max_length={"value": 10, "unit": "working_days"},
    )
    tasks = await stack.client.get(
        "/v1/tasks", params={"status": "suspended", "limit": 500}, headers=r
    )
    [task] = [t for t in tasks.json()["items"] if t["case_id"] == case_id]
    assert task["suspended"] and task["suspension_reason"] == "hearing"
    stack.clock.advance(timedelta(days=14))  # two calendar weeks: ten working days
    try:
        case = await ok(stack, case_id, "review", "resume", r)
    finally:
        stack.clock.set(START)
    review = next(s for s in case["stages"] if s["kind"] == "review")
    # Due Monday 9 March before the hearing; ten working days of hearing push it to 23 March.
    assert (
        datetime.fromisoformat(review["due_at"]).astimezone(SHANGHAI).date()
        == datetime(2026, 3, 23).date()
    )
    events = await read_topic(stack, "egov.stages", for_case(case_id), has("stage.resumed"))
    review_id = review["stage_id"]
    [resumed] = [
        e["data"]
        for e in events
        if e["type"] == "gov.egov.stage.resumed.v1" and e["data"]["stage_id"] == review_id
    ]
    assert datetime.fromisoformat(resumed["due_at"]) == datetime.fromisoformat(review["due_at"])
    suspended = [e["data"] for e in events if e["type"] == "gov.egov.stage.suspended.v1"]
    assert [s["stage_id"] for s in suspended] == [
        review_id,
        f"{case_id}:case_promised",  # the only open stage stopped: so did the case's limits
        f"{case_id}:case_statutory",
    ]
    assert suspended[0]["max_length"] == {"value": 10, "unit": "working_days"}


async def test_separation_of_duties_stale_versions_and_bad_tokens(stack: Stack) -> None:
    case_id = f"SD-{uuid.uuid4().hex[:8]}"
    case = await submit(stack, case_id)
    h = auth(stack, *HANDLER)
    path = f"/v1/cases/{case_id}/stages/prereview/sign-in"
    forged = h["Authorization"][:-4] + (
        "AAAA" if not h["Authorization"].endswith("AAAA") else "BBBB"
    )
    r = await stack.client.post(
        path, json={"version": case["version"]}, headers={"Authorization": forged}
    )
    assert r.status_code == 401
    r = await stack.client.post(
        path, json={"version": case["version"]}, headers=auth(stack, "x-1", "applicant")
    )
    assert r.status_code == 403
    await signed(stack, case_id, "prereview", "pass", h)
    r = await stack.client.post(path, json={"version": case["version"]}, headers=h)
    assert r.status_code == 409  # stale version
    r = await act(stack, case_id, "prereview", "sign-in", h)
    assert r.status_code == 409 and r.json()["allowed_actions"] == []
    await signed(stack, case_id, "accept", "accept", h)
    both = auth(stack, "h-1", "handler", "reviewer")
    r = await act(stack, case_id, "review", "sign-in", both)
    assert r.status_code == 403 and "separation of duties" in r.json()["detail"]
    r = await act(stack, case_id, "review", "approve", auth(stack, *REVIEWER))
    assert r.status_code == 409 and r.json()["allowed_actions"] == ["sign-in"]


async def test_audit_verify_reports_a_tampered_entry(stack: Stack) -> None:
    case_id = f"AU-{uuid.uuid4().hex[:8]}"
    await submit(stack, case_id)
    h = auth(stack, *HANDLER)
    await signed(stack, case_id, "prereview", "pass", h)
    from services.cli import app

    env = {"EGOV_MONGO_URI": stack.settings.mongo_uri, "EGOV_MONGO_DB": stack.settings.mongo_db}
    runner = CliRunner()
    result = await asyncio.to_thread(runner.invoke, app, ["audit", "verify", case_id], env=env)
    assert result.exit_code == 0 and "OK" in result.output, result.output

    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(stack.settings.mongo_uri)
    try:
        timeline = mongo[stack.settings.database_name]["timeline"]
        entry = await timeline.find_one({"case_id": case_id, "action": "prereview_passed"})
        assert entry is not None
        await timeline.update_one({"_id": entry["_id"]}, {"$set": {"actor": "someone-else"}})
    finally:
        await mongo.close()
    result = await asyncio.to_thread(runner.invoke, app, ["audit", "verify", case_id], env=env)
    assert result.exit_code == 1
    assert f"BROKEN at entry {entry['seq']}" in result.output


async def test_audit_verify_bus_catches_a_cut_that_moved_the_head_back(stack: Stack) -> None:
    case_id = f"AB-{uuid.uuid4().hex[:8]}"
    await submit(stack, case_id)
    await signed(stack, case_id, "prereview", "pass", auth(stack, *HANDLER))
    # Submission, sign-in and pass each moved the head: three signed checkpoints on the bus.
    published = await read_topic(
        stack,
        "egov.audit.checkpoints",
        lambda env: env["subject"] == case_id,
        lambda evs: len(evs) >= 3,
    )
    from services.cli import app

    env = {"EGOV_MONGO_URI": stack.settings.mongo_uri, "EGOV_MONGO_DB": stack.settings.mongo_db}
    runner = CliRunner()
    command = ["audit", "verify", case_id, "--bus"]
    result = await asyncio.to_thread(runner.invoke, app, command, env=env)
    assert result.exit_code == 0 and "agrees with 3 on the bus" in result.output, result.output

    # An insider cuts the last action's entries and moves the stored head back to match.
    kept = sorted(published, key=lambda e: e["data"]["count"])[-2]["data"]
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(stack.settings.mongo_uri)
    try:
        db = mongo[stack.settings.database_name]
        await db["timeline"].delete_many({"case_id": case_id, "seq": {"$gt": kept["count"]}})
        await db["cases"].update_one(
            {"_id": case_id}, {"$set": {"audit_seq": kept["count"], "audit_head": kept["head"]}}
        )
    finally:
        await mongo.close()
    result = await asyncio.to_thread(runner.invoke, app, command[:-1], env=env)
    assert result.exit_code == 0, result.output  # the database agrees with itself
    result = await asyncio.to_thread(runner.invoke, app, command, env=env)
    assert result.exit_code == 1, result.output
    assert f"BROKEN at entry {kept['count'] + 1}" in result.output
    assert "the bus checkpointed entry" in result.output


async def test_false_commitment_publishes_a_credit_incident(stack: Stack) -> None:
    case_id = f"CM-{uuid.uuid4().hex[:8]}"
    await submit(stack, case_id, commitment=True)
    h, r, a = auth(stack, *HANDLER), auth(stack, *REVIEWER), auth(stack, *APPROVER)
    await signed(stack, case_id, "prereview", "pass", h)
    await signed(stack, case_id, "accept", "accept", h)
    await signed(stack, case_id, "review", "pass", r)
    case = await signed(stack, case_id, "decide", "approve", a)
    assert any(s["kind"] == "verification" and s["state"] == "open" for s in case["stages"])
    final = await signed(
        stack,
        case_id,
        "verification",
        "verify",
        h,
        commitment_true=False,
        reasons=["承诺的场地证明不实"],
    )
    assert final["status"] == "revoked"
    incidents = await read_topic(
        stack, "egov.credit.incidents", for_case(case_id), lambda evs: len(evs) >= 1
    )
    [incident] = incidents
    assert incident["subject"] == "91500000MA5U000000"
    data = incident["data"]
    assert (data["subject_kind"], data["incident_type"], data["severity"]) == (
        "entity",
        "false_commitment",
        "serious",
    )
    assert data["source_system"] == "egov-approval" and data["evidence"] == [case_id]
    events = await read_topic(
        stack,
        "egov.stages",
        for_case(case_id),
        lambda evs: len([e for e in evs if e["type"].endswith("case.decided.v1")]) >= 2,
    )
    decisions = [e["data"]["decision"] for e in events if e["type"].endswith("case.decided.v1")]
    assert decisions == ["approved", "revoked"]


async def test_concurrent_actions_on_one_version_let_exactly_one_through(stack: Stack) -> None:
    case_id = f"CC-{uuid.uuid4().hex[:8]}"
    case = await submit(stack, case_id)
    path = f"/v1/cases/{case_id}/stages/prereview/sign-in"
    responses = await asyncio.gather(
        *[
            stack.client.post(
                path, json={"version": case["version"]}, headers=auth(stack, f"h-{i}", "handler")
            )
            for i in range(4)
        ]
    )
    codes = sorted(r.status_code for r in responses)
    assert codes == [200, 409, 409, 409], [r.text for r in responses]
    final = await wait_case(stack, case_id, lambda c: True)
    assert final["version"] == case["version"] + 1
    metrics = (await stack.client.get("/metrics")).text
    assert (
        'egov_approval_actions_total{action="sign-in",department="500000-SCJ",outcome="ok"}'
        in metrics
    )


def owed_premises(stack: Stack, **rule: Any) -> OwedMaterials:
    """Owed as intake would carry it (容缺受理): 10 working days from acceptance, now."""
    now, limit = stack.clock.now(), Limit(value=10)
    due = stack.service.deps.calendar.deadline(now, limit)
    premises = OwedMaterial(code="premises", name="住所使用证明")
    return OwedMaterials(materials=[premises], limit=limit, accepted_at=now, due_at=due, **rule)


async def test_accept_with_gaps_holds_until_the_material_arrives_or_ends_the_case(
    stack: Stack,
) -> None:
    h, r, a = auth(stack, *HANDLER), auth(stack, *REVIEWER), auth(stack, *APPROVER)
    arrives, lapses = f"OW-{uuid.uuid4().hex[:8]}", f"OL-{uuid.uuid4().hex[:8]}"
    await submit(stack, arrives, owed=owed_premises(stack))
    owed = owed_premises(stack, on_lapse="lapsed", credit_incident=True)
    await submit(stack, lapses, owed=owed)
    await signed(stack, arrives, "prereview", "pass", h)
    await signed(stack, arrives, "accept", "accept", h)
    await signed(stack, arrives, "review", "pass", r)
    await ok(stack, arrives, "decide", "sign-in", a)
    held = await act(stack, arrives, "decide", "approve", a)
    assert held.status_code == 409 and "住所使用证明 (premises)" in held.json()["detail"]
    supplied = OwedMaterialsSupplied(
        case_id=arrives,
        materials=[Material(code="premises", form=MaterialForm.UPLOAD, sha256="d" * 64, size=9)],
        supplied_at=stack.clock.now(),
    )
    await publish(stack, supplied)
    await wait_case(stack, arrives, lambda c: c["owed_supplied"] == ["premises"])
    assert (await ok(stack, arrives, "decide", "approve", a))["decision"] == "approved"
    start = stack.clock.now()
    try:
        stack.clock.set(owed.due_at + timedelta(seconds=1))
        await lapse_waits(stack.service.deps)  # the sweep's loop may have got there first
        case = await wait_case(stack, lapses, lambda c: c["status"] == "lapsed")
    finally:
        stack.clock.set(start)
    stage = next(s for s in case["stages"] if s["kind"] == "owed_materials")
    assert stage["outcome"] == "failed" and "住所使用证明" in stage["reason"]
    [incident] = await read_topic(
        stack, "egov.credit.incidents", for_case(lapses), lambda evs: len(evs) >= 1
    )
    assert incident["data"]["incident_type"] == "accept_with_gaps_unfulfilled"
    assert incident["subject"] == "91500000MA5U000000"
    events = await read_topic(
        stack, "egov.stages", for_case(lapses), has("case.decided", "stage.opened")
    )
    [decided] = [e for e in events if e["type"].endswith("case.decided.v1")]
    assert (
        decided["data"]["decision"] == "lapsed" and "住所使用证明" in decided["data"]["reasons"][0]
    )
    opened = [e["data"] for e in events if e["type"].endswith("stage.opened.v1")]
    assert any(
        o["stage"] == "owed_materials" and o["due_at"] == owed.due_at.isoformat() for o in opened
    )
