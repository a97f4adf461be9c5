"""A bundle (一件事) on the real broker and database (issue 19): one submission writes four
linked cases and the bundle's clock; only the licence starts; its approval, decided on
egov.stages, releases the three waiting items with the licence it issued provided. With the
licence denied instead, the outcome follows docs/bundles.md (all_or_stop): the waiting items
are cancelled, never started, the bundle is not completed, its clock closes failed, the
applicant sees what stopped it, and rates the bundle once; a finished bundle left unrated is
invited to rate once, as one thing, never its items."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from services.intake.cli import BundleTimelines
from shared.audit.report import audit_chain
from shared.contracts import (
    DEAD_LETTER_TOPIC,
    T_CASES,
    T_STAGES,
    BundleSubmissionReceived,
    CaseDecided,
    CaseRated,
    CaseSubmitted,
    RatingInvited,
    StageClosed,
    StageOpened,
    StageResumed,
    StageSuspended,
    make_envelope,
)
from shared.identifiers import make_resident_id
from shared.kafka import read_dead_letter_headers
from tests.integration.intake import test_intake_stack as base
from tests.integration.intake.test_intake_stack import (
    UPLOAD,
    Stack,
    envelope_of,
    lettered_by_intake,
    of_type,
    produce,
)
from tests.support.events import from_example, stage_opened
from tests.support.tokens import officer_headers

pytestmark = pytest.mark.integration

stack = base.stack  # the intake stack fixture of that module, started afresh for this one

PERSON = make_resident_id("500103", date(1991, 3, 9), 33)
LICENCE, SEAL, TAX, SOCIAL = "500000-SCJ-001", "500000-GAJ-003", "500000-SWJ-002", "500000-RSJ-002"


def opening_a_business() -> dict[str, object]:
    return {
        "bundle_code": "500000-YJS-001",
        "applicant": {"kind": "person", "id_number": PERSON, "name": "王五"},
        "form": {
            "company_name": "集成测试有限公司",
            "registered_capital_yuan": 50000,
            "seal_kinds": "公章",
            "employees": 2,
        },
        "materials": [
            {"code": c, **UPLOAD}
            for c in (
                "legal_rep_id",
                "application_form",
                "articles",
                "premises",
                "seal_specimen",
                "bank_account",
                "social_insurance_form",
            )
        ],
        "receiving_region": "500000",
    }


async def publish_decision(stack: Stack, decided: CaseDecided) -> None:
    env = make_envelope(decided, source="/egov/approval", time=datetime.now(UTC))
    await stack.service.infra.publisher.publish(env)


async def test_a_bundle_from_submission_to_the_release_of_its_waiting_items(stack: Stack) -> None:
    key = {"Idempotency-Key": f"it-bundle-{uuid.uuid4().hex}"}
    r = await stack.http.post("/v1/bundles", json=opening_a_business(), headers=key)
    assert r.status_code == 201, r.text
    body = r.json()
    bundle_id, ids = body["bundle_id"], {i["item_code"]: i["case_id"] for i in body["items"]}
    again = await stack.http.post("/v1/bundles", json=opening_a_business(), headers=key)
    assert again.status_code == 200 and again.json()["bundle_id"] == bundle_id

    [first] = await stack.read(T_CASES, of_type(CaseSubmitted.event_type, ids[LICENCE]))
    assert envelope_of(first).data["bundle_id"] == bundle_id
    # what notify needs to speak of the bundle as one thing, on every item's event
    told = envelope_of(first).data["bundle"]
    assert told["name"] == "开办企业一件事" and told["code"] == "500000-YJS-001"
    assert [(i["item_code"], i["case_id"]) for i in told["items"]] == [
        (c, ids[c]) for c in (LICENCE, SEAL, TAX, SOCIAL)
    ]
    [clock] = await stack.read(T_STAGES, of_type(StageOpened.event_type, bundle_id))
    assert envelope_of(clock).data["stage"] == "case_promised"
    held = await stack.read(T_CASES, of_type(CaseSubmitted.event_type, ids[SEAL]), timeout=3)
    assert held == []  # the seal waits for the licence

    decided = CaseDecided(
        case_id=ids[LICENCE],
        decision="approved",
        licence_ref=f"EL-BL-{ids[LICENCE]}",
        department="500000-SCJ",
        item_code=LICENCE,
        region="500000",
        decided_at=datetime.now(UTC),
    )
    await publish_decision(stack, decided)
    for code in (SEAL, TAX, SOCIAL):
        [released] = await stack.read(T_CASES, of_type(CaseSubmitted.event_type, ids[code]))
        data = envelope_of(released).data
        assert data["bundle_id"] == bundle_id and data["bundle"] == told
        given = {m["code"]: m for m in data["materials"]}["business_licence"]
        assert given["licence_ref"] == f"EL-BL-{ids[LICENCE]}" and given["verified_from_licence"]

    code = {"X-Verification-Code": body["verification_code"]}
    view = (await stack.http.get(f"/v1/bundles/{bundle_id}", headers=code)).json()
    states = {i["item_code"]: i["status"] for i in view["items"]}
    assert states == {LICENCE: "decided", SEAL: "submitted", TAX: "submitted", SOCIAL: "submitted"}
    assert view["status"] == "in_progress"


async def test_a_denied_licence_stops_the_bundle_which_is_rated_once(stack: Stack) -> None:
    key = {"Idempotency-Key": f"it-bundle-{uuid.uuid4().hex}"}
    r = await stack.http.post("/v1/bundles", json=opening_a_business(), headers=key)
    assert r.status_code == 201, r.text
    body = r.json()
    bundle_id, ids = body["bundle_id"], {i["item_code"]: i["case_id"] for i in body["items"]}
    code = {"X-Verification-Code": body["verification_code"]}
    rating = {"level": "basically_satisfied"}
    early = await stack.http.post(f"/v1/bundles/{bundle_id}/rating", json=rating, headers=code)
    assert early.status_code == 409 and early.json()["errors"][0]["field"] == "bundle_id"
    denied = CaseDecided(
        case_id=ids[LICENCE],
        decision="denied",
        department="500000-SCJ",
        item_code=LICENCE,
        region="500000",
        decided_at=datetime.now(UTC),
    )
    await publish_decision(stack, denied)
    [closed] = await stack.read(T_STAGES, of_type(StageClosed.event_type, bundle_id))
    assert envelope_of(closed).data["outcome"] == "failed"

    view = (await stack.http.get(f"/v1/bundles/{bundle_id}", headers=code)).json()
    assert view["status"] == "not_completed" and view["status_text"] == "未能全部办结"
    assert view["stopped_by"] == [LICENCE]
    states = {i["item_code"]: i["status"] for i in view["items"]}
    assert states == {LICENCE: "decided", SEAL: "cancelled", TAX: "cancelled", SOCIAL: "cancelled"}
    seal = (await stack.http.get(f"/v1/cases/{ids[SEAL]}", headers=code)).json()
    assert seal["status"] == "cancelled"
    assert "前序事项未获准予" in " ".join(e["text"] for e in seal["timeline"])

    r = await stack.http.post(f"/v1/bundles/{bundle_id}/rating", json=rating, headers=code)
    assert r.status_code == 201, r.text
    again = await stack.http.post(f"/v1/bundles/{bundle_id}/rating", json=rating, headers=code)
    assert again.status_code == 409
    [rated] = await stack.read(T_CASES, of_type(CaseRated.event_type, bundle_id))
    data = envelope_of(rated).data
    assert (data["department"], data["item_code"]) == ("500000-SCJ", "500000-YJS-001")
    assert data["departments"] == ["500000-SCJ", "500000-GAJ", "500000-SWJ", "500000-RSJ"]
    # the cancelled items never started: no case.submitted of theirs on the topic
    never = await stack.read(T_CASES, of_type(CaseSubmitted.event_type, ids[SEAL]), timeout=1)
    assert never == []


async def test_a_finished_bundle_left_unrated_is_invited_once_never_its_items(
    stack: Stack,
) -> None:
    key = {"Idempotency-Key": f"it-bundle-{uuid.uuid4().hex}"}
    r = await stack.http.post("/v1/bundles", json=opening_a_business(), headers=key)
    assert r.status_code == 201, r.text
    bundle_id, ids = (
        r.json()["bundle_id"],
        {i["item_code"]: i["case_id"] for i in r.json()["items"]},
    )
    denied = CaseDecided(
        case_id=ids[LICENCE],
        decision="denied",
        department="500000-SCJ",
        item_code=LICENCE,
        region="500000",
        decided_at=datetime.now(UTC),
    )
    await publish_decision(stack, denied)
    # the sweep runs every 0.5 s, inviting at once (EGOV_RATING_INVITE_AFTER_DAYS=0 here)
    invited = await stack.read(T_CASES, of_type(RatingInvited.event_type, bundle_id), settle=2)
    assert len(invited) == 1
    assert envelope_of(invited[0]).data["bundle_id"] == bundle_id
    for case_id in ids.values():
        assert (
            await stack.read(T_CASES, of_type(RatingInvited.event_type, case_id), timeout=1) == []
        )


async def test_a_bundle_rated_as_soon_as_it_is_settled_publishes_its_rating_once(
    stack: Stack,
) -> None:
    """As the demo does: the applicant rates the moment the view says the bundle is settled
    (possibly before its closing is written), badly, and the lead department answers."""
    key = {"Idempotency-Key": f"it-bundle-{uuid.uuid4().hex}"}
    r = await stack.http.post("/v1/bundles", json=opening_a_business(), headers=key)
    assert r.status_code == 201, r.text
    body = r.json()
    bundle_id, ids = body["bundle_id"], {i["item_code"]: i["case_id"] for i in body["items"]}
    code = {"X-Verification-Code": body["verification_code"]}
    denied = CaseDecided(
        case_id=ids[LICENCE],
        decision="denied",
        department="500000-SCJ",
        item_code=LICENCE,
        region="500000",
        decided_at=datetime.now(UTC),
    )
    await publish_decision(stack, denied)
    rating = {"level": "dissatisfied"}
    for _ in range(300):
        r = await stack.http.post(f"/v1/bundles/{bundle_id}/rating", json=rating, headers=code)
        if r.status_code == 201:
            break
        await asyncio.sleep(0.05)
    assert r.status_code == 201, r.text
    rect = r.json()["rectification"]["rectification_id"]
    lead = officer_headers(
        stack.service.settings, subject="h-it", roles=["department_head"], department="500000-SCJ"
    )
    answer = {"answer": "已整改"}
    r = await stack.http.post(f"/v1/rectifications/{rect}/answer", json=answer, headers=lead)
    assert r.status_code == 200, r.text
    rated = await stack.read(T_CASES, of_type(CaseRated.event_type, bundle_id), settle=3)
    assert len(rated) == 1, [envelope_of(x).id for x in rated]
    closed = await stack.read(T_STAGES, of_type(StageClosed.event_type, bundle_id), settle=2)
    assert len(closed) == 1
    view = (await stack.http.get(f"/v1/bundles/{bundle_id}", headers=code)).json()
    assert view["status"] == "not_completed" and view["rated"] is True
    # the rating and its answer on the bundle's own audit chain, as stored in the database
    deps = stack.service.deps
    app = await deps.bundles.get_application(bundle_id)
    assert app is not None and [e.kind for e in app.timeline] == ["rated", "rectification_answered"]
    report = await audit_chain(BundleTimelines(deps.bundles), bundle_id, keys=deps.audit_keys)
    assert report is not None and report.broken is None
    assert bundle_id in await deps.bundles.chained_application_ids()


async def test_the_bundle_clock_stops_and_runs_again_with_its_item_on_the_bus(
    stack: Stack,
) -> None:
    """An item's case clock stopped and resumed on egov.stages (as approval publishes it) stops
    and runs again the bundle's clock, each published once, written in the real database."""
    key = {"Idempotency-Key": f"it-bundle-{uuid.uuid4().hex}"}
    r = await stack.http.post("/v1/bundles", json=opening_a_business(), headers=key)
    assert r.status_code == 201, r.text
    bundle_id, licence = r.json()["bundle_id"], r.json()["items"][0]["case_id"]
    [clock] = await stack.read(T_STAGES, of_type(StageOpened.event_type, bundle_id))
    now = datetime.now(UTC)
    clock_id = f"{licence}:case_promised"
    for data in (
        stage_opened(licence, stage="case_promised", opened_at=now),
        from_example(
            StageSuspended, case_id=licence, stage_id=clock_id, reason="hearing", suspended_at=now
        ),
        from_example(
            StageResumed,
            case_id=licence,
            stage_id=clock_id,
            resumed_at=now + timedelta(hours=1),
            due_at=now + timedelta(days=30),
        ),
    ):
        await stack.service.infra.publisher.publish(
            make_envelope(data, source="/egov/approval", time=now)
        )
    [stopped] = await stack.read(T_STAGES, of_type(StageSuspended.event_type, bundle_id))
    assert envelope_of(stopped).data["stage_id"] == f"{bundle_id}:case_promised"
    resumed = await stack.read(T_STAGES, of_type(StageResumed.event_type, bundle_id), settle=2)
    assert len(resumed) == 1
    app = await stack.service.deps.bundles.get_application(bundle_id)
    assert app is not None and app.clock_seq == 2 and app.clock_stops[0].ended_at is not None
    published = datetime.fromisoformat(envelope_of(resumed[0]).data["due_at"])
    assert abs(published - app.due_at) < timedelta(milliseconds=1)  # stored to the millisecond
    assert published > datetime.fromisoformat(envelope_of(clock).data["due_at"])


def bundle_from_the_bus(external_id: str, **changes: object) -> BundleSubmissionReceived:
    body = opening_a_business()
    return BundleSubmissionReceived.model_validate(
        {
            "external_id": external_id,
            "source_system": "cd-window-system",
            **{k: body[k] for k in ("applicant", "form", "materials", "bundle_code")},
            "channel": "window",
            "receiving_region": "500000",
            "submitted_at": datetime.now(UTC).isoformat(),
            **changes,
        }
    )


async def test_a_bundle_from_the_bus_is_registered_once_and_a_bad_one_dead_lettered(
    stack: Stack,
) -> None:
    ext, bad = f"WIN-B-{uuid.uuid4().hex[:10]}", f"WIN-BB-{uuid.uuid4().hex[:10]}"
    now = datetime.now(UTC)
    for data in (bundle_from_the_bus(ext), bundle_from_the_bus(ext)):  # published again
        await produce(stack.bootstrap, make_envelope(data, source="/cd/window", time=now), ext)
    unknown = bundle_from_the_bus(bad, bundle_code="500000-YJS-098")
    await produce(stack.bootstrap, make_envelope(unknown, source="/cd/window", time=now), bad)

    def licence_of_it(record: object) -> bool:
        env = envelope_of(record)
        return env.type == CaseSubmitted.event_type and env.data.get("external_ref") == (
            f"cd-window-system/{ext}"
        )

    found = await stack.read(T_CASES, licence_of_it, settle=3)
    assert len(found) == 1  # only the licence starts; the bundle registered once
    data = envelope_of(found[0]).data
    assert data["item_code"] == LICENCE and data["bundle_id"].startswith("YJS-")
    bundle_id = data["bundle_id"]
    assert await stack.service.deps.store.find_external("cd-window-system", ext) == bundle_id
    [clock] = await stack.read(T_STAGES, of_type(StageOpened.event_type, bundle_id))
    assert envelope_of(clock).data["stage"] == "case_promised"
    [dead] = await stack.read(DEAD_LETTER_TOPIC, lettered_by_intake(bad))
    headers = read_dead_letter_headers(dead.headers)
    assert headers["dlq.reason"] == "rejected" and "unknown bundle" in headers["dlq.error"]
