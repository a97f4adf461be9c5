"""Submitting cases over HTTP and from other systems, with in-memory fakes."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY

from services.intake.handlers.submission import on_submission_received
from services.intake.handlers.tracking import on_credit_changed
from services.intake.ports import CreditStatus
from services.intake.settings import DEFAULT_CATALOG_DIR
from shared.contracts import (
    CaseSubmissionReceived,
    CaseSubmitted,
    CreditChanged,
    Envelope,
    make_envelope,
)
from shared.contracts.publishers import PUBLISHERS
from shared.identifiers import make_resident_id, make_uscc
from shared.kafka import PermanentError
from tests.unit.intake.intake_fakes import T0, Wiring

PERSON = make_resident_id("500103", date(1990, 5, 17), 12)
UPLOAD = {"form": "upload", "sha256": "a" * 64, "size": 2048}


def business_licence(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "item_code": "500000-SCJ-001",
        "applicant": {"kind": "person", "id_number": PERSON, "name": "张三"},
        "contact": {"phone": "13800138000"},
        "form": {"company_name": "山城小面有限公司"},
        "materials": [
            {"code": "id_card", **UPLOAD},
            {"code": "application_form", **UPLOAD},
            {"code": "articles", **UPLOAD},
            {"code": "premises", **UPLOAD},
        ],
        "channel": "web",
        "receiving_region": "500000",
    }
    body.update(changes)
    return body


def client(w: Wiring) -> httpx.AsyncClient:
    return w.client()


async def test_submission_registers_a_numbered_case_and_its_event() -> None:
    w = Wiring()
    async with client(w) as c:
        r = await c.post("/v1/cases", json=business_licence())
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["case_id"] == "500000-20260302-000001"  # local date of T0 in Shanghai
    assert re.fullmatch(r"[2-9A-Z]{8}", body["verification_code"])
    [event] = w.store.events_of(CaseSubmitted.event_type)
    data = CaseSubmitted.model_validate(event.data)
    assert data.case_id == body["case_id"] and event.subject == body["case_id"]
    assert [s.stage for s in data.stage_plan] == ["accept", "review", "decide", "deliver"]
    assert data.required_materials == ["id_card", "application_form", "articles", "premises"]
    assert data.commitment_allowed and data.promised_limit.value == 1
    assert data.credit_check.skipped and "not needed" in (data.credit_check.reason or "")
    assert w.woken == 1
    # the verification code is not stored in clear
    case = w.store.cases[body["case_id"]]
    assert body["verification_code"] not in (case.verification_hash or "")


async def test_case_numbers_follow_each_other_per_region_and_day() -> None:
    w = Wiring()
    async with client(w) as c:
        ids = [
            (await c.post("/v1/cases", json=business_licence())).json()["case_id"] for _ in range(3)
        ]
        w.clock.advance(86400)
        ids.append((await c.post("/v1/cases", json=business_licence())).json()["case_id"])
    assert ids == [
        "500000-20260302-000001",
        "500000-20260302-000002",
        "500000-20260302-000003",
        "500000-20260303-000001",
    ]


async def test_bad_input_gets_field_level_errors_and_never_a_500() -> None:
    w = Wiring()
    bad_id = PERSON[:17] + ("0" if PERSON[17] != "0" else "1")
    async with client(w) as c:
        r = await c.post(
            "/v1/cases",
            json=business_licence(
                applicant={"kind": "person", "id_number": bad_id, "name": "张三"}
            ),
        )
        assert r.status_code == 422
        [err] = r.json()["errors"]
        assert err["field"] == "applicant.id_number" and "check character" in err["message"]
        r = await c.post(
            "/v1/cases",
            json=business_licence(
                applicant={"kind": "entity", "id_number": "91500000MA5U7XXX1I", "name": "某公司"}
            ),
        )
        assert r.status_code == 422
        assert "social credit code" in r.json()["errors"][0]["message"]
        r = await c.post("/v1/cases", json=business_licence(item_code="500000-SCJ-777"))
        assert r.status_code == 404 and r.json()["errors"][0]["field"] == "item_code"
        r = await c.post("/v1/cases", json=business_licence(materials=[]))
        assert r.status_code == 422 and "missing required material" in r.text
        r = await c.post("/v1/cases", json=business_licence(receiving_region="999999"))
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "receiving_region"
        r = await c.post(
            "/v1/cases", content=b"{not json", headers={"content-type": "application/json"}
        )
        assert r.status_code == 422
        r = await c.post("/v1/cases", json=business_licence(form={"blob": "x" * 1_100_000}))
        assert r.status_code == 413
    assert w.store.cases == {}


async def test_closed_item_refuses_new_applications_with_409() -> None:
    w = Wiring()
    item = w.store.items["500000-SCJ-001"]
    w.store.items[item.code] = item.model_copy(update={"status": "closed"})
    async with client(w) as c:
        r = await c.post("/v1/cases", json=business_licence())
    assert r.status_code == 409 and "closed" in r.json()["detail"]


async def test_idempotency_key_replays_the_original_answer_and_creates_nothing() -> None:
    w = Wiring()
    headers = {"Idempotency-Key": "retry-key-0001"}
    async with client(w) as c:
        first = await c.post("/v1/cases", json=business_licence(), headers=headers)
        again = await c.post("/v1/cases", json=business_licence(), headers=headers)
        other = await c.post("/v1/cases", json=business_licence(form={"x": 1}), headers=headers)
    assert first.status_code == 201 and again.status_code == 200
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    assert len(w.store.cases) == 1 and len(w.store.events) == 1
    assert other.status_code == 422 and "different request body" in other.json()["detail"]


async def test_idempotency_keys_are_each_applicants_own() -> None:
    w = Wiring()
    other_person = make_resident_id("500103", date(1985, 1, 2), 33)
    headers = {"Idempotency-Key": "my-first-application"}
    theirs = business_licence(
        applicant={"kind": "person", "id_number": other_person, "name": "李四"}
    )
    async with client(w) as c:
        mine = await c.post("/v1/cases", json=business_licence(), headers=headers)
        other = await c.post("/v1/cases", json=theirs, headers=headers)
        # a different body under the same applicant's key: refused, naming no case
        changed = await c.post("/v1/cases", json=business_licence(form={"x": 1}), headers=headers)
        again = await c.post("/v1/cases", json=theirs, headers=headers)
    assert mine.status_code == other.status_code == 201, other.text
    assert mine.json()["case_id"] != other.json()["case_id"]
    assert len(w.store.cases) == 2
    assert changed.status_code == 422
    assert changed.json()["errors"] == [
        {"field": "Idempotency-Key", "message": "already used for a different request body"}
    ]
    assert "500000-2026" not in changed.text
    assert again.status_code == 200 and again.json() == other.json()


def with_commitment(**changes: Any) -> dict[str, Any]:
    body = business_licence(**changes)
    body["materials"][3] = {
        "code": "premises",
        "form": "commitment",
        "commitment_text": "本人承诺住所使用证明真实有效",
    }
    return body


async def test_black_listed_applicant_may_not_use_commitments_or_gaps() -> None:
    w = Wiring()
    w.credit.answers[PERSON] = CreditStatus(level="D", red_list=False, black_list=True)
    gaps = business_licence(accept_with_gaps=True)
    gaps["materials"] = gaps["materials"][:3]
    async with client(w) as c:
        r = await c.post("/v1/cases", json=with_commitment())
        assert r.status_code == 422 and "serious-dishonesty" in r.json()["detail"]
        r = await c.post("/v1/cases", json=gaps)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "accept_with_gaps"
        w.credit.answers.clear()
        r = await c.post("/v1/cases", json=with_commitment())
        assert r.status_code == 201 and r.json()["credit_check"]["level"] == "A"
        r = await c.post("/v1/cases", json=gaps)
        assert r.status_code == 201 and r.json()["accept_with_gaps"] is True
    assert w.credit.calls == [PERSON] * 4
    assert len(w.store.cases) == 2


async def test_credit_unavailable_applies_the_default_and_records_the_skip() -> None:
    w = Wiring()
    w.credit.down = True
    async with client(w) as c:
        r = await c.post("/v1/cases", json=with_commitment())
    assert r.status_code == 201
    check = r.json()["credit_check"]
    assert check["skipped"] is True and "unavailable" in check["reason"]
    event = CaseSubmitted.model_validate(w.store.events[0].data)
    assert event.credit_check.skipped and event.commitment_used

    strict = Wiring(credit_default_allows=False)
    strict.credit.down = True
    async with client(strict) as c:
        r = await c.post("/v1/cases", json=with_commitment())
    assert r.status_code == 422 and "could not be reached" in r.json()["detail"]


async def test_cross_region_only_for_items_that_allow_it() -> None:
    w = Wiring()
    fund = {
        "item_code": "510100-GJJ-001",
        "applicant": {"kind": "person", "id_number": PERSON, "name": "张三"},
        "materials": [{"code": "id_card", **UPLOAD}, {"code": "transfer_application", **UPLOAD}],
        "receiving_region": "500000",
        "handling_region": "510100",
    }
    async with client(w) as c:
        r = await c.post("/v1/cases", json=fund)
        assert r.status_code == 201, r.text
        assert r.json()["case_id"].startswith("500000-")
        r = await c.post(
            "/v1/cases",
            json=business_licence(item_code="510100-SCJ-002", receiving_region="500000"),
        )
        assert r.status_code == 422 and "cross-region" in r.text
        # the reports' own example (异地互发): a Chengdu business licence at a Chongqing hall
        r = await c.post(
            "/v1/cases",
            json=business_licence(item_code="510100-SCJ-001", receiving_region="500000"),
        )
        assert r.status_code == 201, r.text
    data = CaseSubmitted.model_validate(w.store.events[0].data)
    assert (data.receiving_region, data.handling_region) == ("500000", "510100")
    licence = CaseSubmitted.model_validate(w.store.events[1].data)
    assert (licence.receiving_region, licence.handling_region) == ("500000", "510100")


def external(external_id: str, **changes: Any) -> Any:
    data = {
        "external_id": external_id,
        "source_system": "cq-bank-terminal",
        "applicant": {"kind": "entity", "id_number": make_uscc(3), "name": "重庆某某有限公司"},
        "item_code": "500000-SCJ-004",
        "materials": [
            {"code": "id_card", **UPLOAD},
            {"code": "change_application", **UPLOAD},
            {"code": "resolution", **UPLOAD},
        ],
        "channel": "bank_branch",
        "receiving_region": "500000",
        "submitted_at": T0.isoformat(),
    }
    data.update(changes)
    model = CaseSubmissionReceived.model_validate(data)
    return make_envelope(model, source="/bank/terminal", time=T0), model


async def test_external_submission_valid_duplicate_and_invalid() -> None:
    w = Wiring()
    env, data = external("BANK-1")
    await on_submission_received(w.deps, env, data)
    env2, data2 = external("BANK-1")  # republished under a new event id
    await on_submission_received(w.deps, env2, data2)
    [event] = w.store.events
    submitted = CaseSubmitted.model_validate(event.data)
    assert submitted.external_ref == "cq-bank-terminal/BANK-1"
    assert event.causationid == env.id and submitted.channel == "bank_branch"
    assert w.store.cases[submitted.case_id].verification_hash is None

    bad_id = make_uscc(3)[:17] + ("0" if make_uscc(3)[17] != "0" else "1")
    env3, data3 = external("BANK-2", applicant={"kind": "entity", "id_number": bad_id, "name": "x"})
    with pytest.raises(PermanentError, match="applicant.id_number"):
        await on_submission_received(w.deps, env3, data3)
    env4, data4 = external("BANK-3", item_code="500000-XXX-001")
    with pytest.raises(PermanentError, match="unknown item"):
        await on_submission_received(w.deps, env4, data4)
    assert len(w.store.cases) == 1


@pytest.mark.parametrize(
    ("contact", "field", "message"),
    [
        ({"phone": "12345"}, "contact.phone", "not a valid phone number"),
        ({"phone": "+12025550123"}, "contact.phone", "not from a supported region"),
        ({"phone": "+852 9123 4567"}, "contact.phone", "not from a supported region"),
        ({"phone": "023-6385-1234"}, "contact.phone", "not a mobile number"),
        ({"email": "zhang.example.cn"}, "contact.email", "not a valid email address"),
        ({"email": "zhang@localhost"}, "contact.email", "not a valid email address"),
    ],
)
async def test_contact_details_are_checked_at_the_door(
    contact: dict[str, str], field: str, message: str
) -> None:
    w = Wiring()
    async with client(w) as c:
        r = await c.post("/v1/cases", json=business_licence(contact=contact))
    assert r.status_code == 422, r.text
    [error] = r.json()["errors"]
    assert error["field"] == field and message in error["message"]
    assert w.store.cases == {}


async def test_a_mainland_mobile_is_kept_in_e164_whatever_its_spelling() -> None:
    w = Wiring()
    async with client(w) as c:
        for phone in ("13800138000", "+86 138 0013 8000", "138-0013-8000"):
            contact = {"phone": phone, "email": "Zhang@Example.CN"}
            r = await c.post("/v1/cases", json=business_licence(contact=contact))
            assert r.status_code == 201, r.text
    for event in w.store.events_of(CaseSubmitted.event_type):
        data = CaseSubmitted.model_validate(event.data)
        assert (data.contact.phone, data.contact.email) == ("+8613800138000", "Zhang@example.cn")


async def test_an_external_submission_with_a_bad_contact_is_dead_lettered_naming_the_field() -> (
    None
):
    w = Wiring()
    env, data = external("BANK-9", contact={"phone": "12345", "email": "x@y.cn"})
    with pytest.raises(PermanentError, match="contact.phone"):
        await on_submission_received(w.deps, env, data)
    env, data = external("BANK-10", contact={"phone": "139 1234 5678"})
    await on_submission_received(w.deps, env, data)
    [event] = w.store.events
    assert CaseSubmitted.model_validate(event.data).contact.phone == "+8613912345678"


async def test_elicence_reference_is_checked_against_the_registry() -> None:
    w = Wiring()
    body = business_licence()
    body["applicant"]["id_number"] = "500103199005170126"
    body["materials"][0] = {
        "code": "id_card",
        "form": "elicense",
        "licence_ref": "EL-ID-500103199005170126",
    }
    async with client(w) as c:
        assert (await c.post("/v1/cases", json=body)).status_code == 201
        body["materials"][0]["licence_ref"] = "EL-ID-UNKNOWN"
        r = await c.post("/v1/cases", json=body)
        assert r.status_code == 422
        assert r.json()["errors"][0]["field"] == "materials.0.licence_ref"


async def test_documented_kcat_example_is_a_valid_submission() -> None:
    w = Wiring()
    raw = (Path(DEFAULT_CATALOG_DIR).parent / "examples" / "submission.json").read_bytes()
    envelope = Envelope.from_json_bytes(raw)
    data = CaseSubmissionReceived.model_validate(envelope.data)
    await on_submission_received(w.deps, envelope, data)
    [event] = w.store.events_of(CaseSubmitted.event_type)
    assert event.data["external_ref"] == "cq-mobile-app/APP-7731-0001"
    assert event.data["channel"] == "app"


async def test_credit_fallback_uses_the_last_known_status_from_credit_changes() -> None:
    w = Wiring()
    w.credit.down = True
    changed = CreditChanged(
        subject_id=PERSON,
        subject_kind="person",
        level="D",
        red_list=False,
        black_list=True,
        reason="serious dishonesty record",
        changed_at=T0,
    )
    await on_credit_changed(w.deps, make_envelope(changed, source="/egov/credit", time=T0), changed)
    async with client(w) as c:
        r = await c.post("/v1/cases", json=with_commitment())
    assert r.status_code == 422 and "serious-dishonesty" in r.json()["detail"]


async def test_a_clean_last_known_status_decides_even_when_the_default_refuses() -> None:
    """docs/intake.md: with the credit service down, the last known status decides; the
    configured default applies only when none is known."""
    w = Wiring(credit_default_allows=False)
    w.credit.down = True
    changed = CreditChanged(
        subject_id=PERSON,
        subject_kind="person",
        level="A",
        red_list=True,
        black_list=False,
        reason="clean record",
        changed_at=T0,
    )
    await on_credit_changed(w.deps, make_envelope(changed, source="/egov/credit", time=T0), changed)
    async with client(w) as c:
        r = await c.post("/v1/cases", json=with_commitment())
    assert r.status_code == 201, r.text
    [event] = w.store.events_of(CaseSubmitted.event_type)
    check = event.data["credit_check"]
    assert check["skipped"] is True and check["level"] == "A"
    assert "last known status" in check["reason"]


def counter(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_submission_metrics_count_outcomes_and_replays() -> None:
    w = Wiring()
    accepted = counter(
        "egov_intake_submissions_total",
        item_code="500000-SCJ-001",
        channel="kiosk",
        outcome="accepted",
    )
    unknown = counter(
        "egov_intake_submissions_total",
        item_code="unknown",
        channel="kiosk",
        outcome="unknown_item",
    )
    replays = counter("egov_intake_idempotent_replays_total", channel="kiosk")
    headers = {"Idempotency-Key": "metrics-key-1"}
    async with client(w) as c:
        await c.post("/v1/cases", json=business_licence(channel="kiosk"), headers=headers)
        await c.post("/v1/cases", json=business_licence(channel="kiosk"), headers=headers)
        await c.post("/v1/cases", json=business_licence(channel="kiosk", item_code="x-1"))
    assert (
        counter(
            "egov_intake_submissions_total",
            item_code="500000-SCJ-001",
            channel="kiosk",
            outcome="accepted",
        )
        == accepted + 1
    )
    assert (
        counter(
            "egov_intake_submissions_total",
            item_code="unknown",
            channel="kiosk",
            outcome="unknown_item",
        )
        == unknown + 1
    )
    assert counter("egov_intake_idempotent_replays_total", channel="kiosk") == replays + 1


async def test_a_publisher_cannot_shadow_another_publishers_submissions() -> None:
    """The bank's terminal claims the app's name and reuses its external id: the submission is
    known by the authenticated publisher, so both cases are registered, each under its own."""
    w = Wiring()
    raw = (Path(DEFAULT_CATALOG_DIR).parent / "examples" / "submission.json").read_bytes()
    app = Envelope.from_json_bytes(raw)
    bank = app.model_copy(update={"source": PUBLISHERS["cq-bank-terminal"].source, "id": "b-1"})
    for envelope in (bank, app):
        data = CaseSubmissionReceived.model_validate(envelope.data)
        assert data.source_system == "cq-mobile-app"  # what the payload claims
        await on_submission_received(w.deps, envelope, data)
    refs = sorted(e.data["external_ref"] for e in w.store.events_of(CaseSubmitted.event_type))
    assert refs == ["cq-bank-terminal/APP-7731-0001", "cq-mobile-app/APP-7731-0001"]
