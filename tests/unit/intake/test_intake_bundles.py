"""Applying for a bundle (一件事): one submission makes one case per item linked by the bundle
id; items wait for the items they depend on and are released (or cancelled) by the decisions;
the applicant tracks the bundle as one thing; the bundle's limit is a supervised case clock."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from prometheus_client import REGISTRY

from services.intake.handlers import bind
from shared.contracts import (
    CaseDecided,
    CaseSubmitted,
    StageClosed,
    StageKind,
    StageOpened,
    make_envelope,
)
from tests.support.events import prereview_done
from tests.support.tokens import applicant_token
from tests.unit.intake.intake_fakes import T0, Wiring
from tests.unit.intake.test_intake_submission import PERSON, UPLOAD

BUSINESS = "500000-YJS-001"
LICENCE, SEAL, TAX, SOCIAL = "500000-SCJ-001", "500000-GAJ-003", "500000-SWJ-002", "500000-RSJ-002"


def opening_a_business(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "bundle_code": BUSINESS,
        "applicant": {"kind": "person", "id_number": PERSON, "name": "张三"},
        "contact": {"phone": "13800138000"},
        "form": {
            "company_name": "山城小面有限公司",
            "registered_capital_yuan": 100000,
            "seal_kinds": "公章、财务专用章",
            "employees": 3,
        },
        "materials": [
            {"code": "legal_rep_id", **UPLOAD},
            {"code": "application_form", **UPLOAD},
            {"code": "articles", **UPLOAD},
            {"code": "premises", "form": "commitment", "commitment_text": "本人承诺住所真实"},
            {"code": "seal_specimen", **UPLOAD},
            {"code": "bank_account", **UPLOAD},
            {"code": "social_insurance_form", **UPLOAD},
        ],
        "channel": "web",
        "receiving_region": "500000",
    }
    body.update(changes)
    return body


async def apply(w: Wiring, body: dict[str, Any], key: str = "bundle-key-1") -> httpx.Response:
    async with w.client() as c:
        return await c.post("/v1/bundles", json=body, headers={"Idempotency-Key": key})


def submitted(w: Wiring) -> dict[str, CaseSubmitted]:
    found = [
        CaseSubmitted.model_validate(e.data) for e in w.store.events_of(CaseSubmitted.event_type)
    ]
    return {d.item_code: d for d in found}


async def decide(
    w: Wiring, case_id: str, item_code: str, decision: str, ref: str | None = None
) -> None:
    data = CaseDecided(
        case_id=case_id,
        decision=decision,  # type: ignore[arg-type]
        licence_ref=ref,
        department=item_code.rsplit("-", 1)[0],
        item_code=item_code,
        region="500000",
        decided_at=w.clock.now(),
    )
    envelope = make_envelope(data, source="/egov/approval", time=w.clock.now(), id=f"d-{case_id}")
    await bind(w.deps)[data.event_type](envelope, data)


async def test_one_submission_makes_one_case_per_item_linked_by_the_bundle_id() -> None:
    w = Wiring()
    r = await apply(w, opening_a_business())
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["bundle_id"] == "YJS-500000-20260302-000001"
    cases = {i["item_code"]: i for i in body["items"]}
    assert set(cases) == {LICENCE, SEAL, TAX, SOCIAL}
    assert {c.bundle_id for c in w.store.cases.values()} == {body["bundle_id"]}
    # only the licence starts at once; the others wait for it, held in intake
    assert set(submitted(w)) == {LICENCE}
    assert submitted(w)[LICENCE].bundle_id == body["bundle_id"]
    assert [cases[c]["status"] for c in (SEAL, TAX, SOCIAL)] == ["held"] * 3
    # the legal representative's ID, given once, stands for three item materials
    seal = w.store.cases[cases[SEAL]["case_id"]]
    assert {m.code for m in seal.materials} == {"legal_rep_id", "seal_specimen"}
    licence = submitted(w)[LICENCE]
    assert {m.code for m in licence.materials} == {
        "id_card",
        "application_form",
        "articles",
        "premises",
    }
    # each item's form has the shared fields mapped to it, and only those
    assert licence.form == {"company_name": "山城小面有限公司", "registered_capital_yuan": 100000}
    assert seal.form == {"company_name": "山城小面有限公司", "seal_kinds": "公章、财务专用章"}


async def test_a_retry_with_the_same_key_replays_and_creates_nothing() -> None:
    w = Wiring()
    first = await apply(w, opening_a_business())
    again = await apply(w, opening_a_business())
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert len(w.store.cases) == 4 and len(w.bundles.applications) == 1
    other = await apply(
        w, opening_a_business(form={**opening_a_business()["form"], "employees": 9})
    )
    assert other.status_code == 422 and other.json()["errors"][0]["field"] == "Idempotency-Key"


async def test_field_errors_name_the_bundle_field_or_the_item() -> None:
    w = Wiring()
    body = opening_a_business()
    body["materials"] = [*body["materials"][:-1], {"code": "nope", **UPLOAD}, body["materials"][0]]
    body["form"] = {**body["form"], "colour": "red"}
    del body["form"]["company_name"]
    r = await apply(w, body)
    assert r.status_code == 422, r.text
    fields = {e["field"]: e["message"] for e in r.json()["errors"]}
    assert fields["form.colour"] == "not a field of this bundle"
    assert fields["form.company_name"] == "企业名称 is required"
    assert fields["materials.6.code"] == "not a material of this bundle"
    assert fields["materials.7.code"] == "given twice; give each once"
    # the social insurance form is missing: the item's own rule, under the item
    assert any(f.startswith(f"items.{SOCIAL}.") for f in fields)
    assert w.store.cases == {} and w.store.events == []


async def test_unknown_closed_or_not_offered_bundles_are_refused() -> None:
    w = Wiring()
    assert (await apply(w, opening_a_business(bundle_code="500000-YJS-404"))).status_code == 404
    r = await apply(w, opening_a_business(channel="kiosk"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "channel"
    r = await apply(w, opening_a_business(receiving_region="510100"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "receiving_region"
    w.bundles.bundles[BUSINESS] = w.bundles.bundles[BUSINESS].model_copy(
        update={"status": "closed"}
    )
    assert (await apply(w, opening_a_business())).status_code == 409


async def test_an_approved_licence_releases_the_waiting_items_with_the_licence_provided() -> None:
    w = Wiring()
    body = (await apply(w, opening_a_business())).json()
    ids = {i["item_code"]: i["case_id"] for i in body["items"]}
    w.clock.advance(timedelta(hours=3))
    await decide(w, ids[LICENCE], LICENCE, "approved", ref="EL-BL-500000-0001")
    events = submitted(w)
    assert set(events) == {LICENCE, SEAL, TAX, SOCIAL}
    for code in (SEAL, TAX, SOCIAL):
        case = w.store.cases[ids[code]]
        assert case.status == "submitted" and case.waiting_for == []
        licence = next(m for m in events[code].materials if m.code == "business_licence")
        assert licence.licence_ref == "EL-BL-500000-0001" and licence.verified_from_licence
        assert events[code].bundle_id == body["bundle_id"]
        # each case.submitted tells of the whole bundle, so notify can speak of it
        bundle = events[code].bundle
        assert bundle is not None and bundle.name == "开办企业一件事"
        assert [(i.item_code, i.case_id) for i in bundle.items] == [
            (c, ids[c]) for c in (LICENCE, SEAL, TAX, SOCIAL)
        ]
    assert events[LICENCE].bundle == events[SEAL].bundle
    # a redelivered decision releases nothing twice
    await decide(w, ids[LICENCE], LICENCE, "approved", ref="EL-BL-500000-0001")
    assert len(w.store.events_of(CaseSubmitted.event_type)) == 4


async def test_a_denied_licence_cancels_the_waiting_items_and_the_bundle_is_not_completed() -> None:
    w = Wiring()
    body = (await apply(w, opening_a_business())).json()
    ids = {i["item_code"]: i["case_id"] for i in body["items"]}
    await decide(w, ids[LICENCE], LICENCE, "denied")
    assert set(submitted(w)) == {LICENCE}  # nothing else ever starts
    for code in (SEAL, TAX, SOCIAL):
        assert w.store.cases[ids[code]].status == "cancelled"
    app = w.bundles.applications[body["bundle_id"]]
    assert app.outcome == "not_completed" and app.closed_at is not None
    [closed] = [
        StageClosed.model_validate(e.data) for e in w.store.events_of(StageClosed.event_type)
    ]
    assert closed.case_id == body["bundle_id"] and closed.outcome == "failed"


async def test_the_bundle_is_completed_when_every_item_is_approved_and_its_clock_closes() -> None:
    w = Wiring()
    body = (await apply(w, opening_a_business())).json()
    ids = {i["item_code"]: i["case_id"] for i in body["items"]}
    [opened] = [
        StageOpened.model_validate(e.data) for e in w.store.events_of(StageOpened.event_type)
    ]
    assert opened.case_id == body["bundle_id"] and opened.stage is StageKind.CASE_PROMISED
    assert opened.department == "500000-SCJ" and opened.limit.value == 2
    assert opened.due_at == w.deps.calendar.deadline(T0, opened.limit)
    await decide(w, ids[LICENCE], LICENCE, "approved", ref="EL-BL-500000-0001")
    for code in (SEAL, TAX):
        await decide(w, ids[code], code, "approved")
    assert w.bundles.applications[body["bundle_id"]].closed_at is None
    await decide(w, ids[SOCIAL], SOCIAL, "approved")
    assert w.bundles.applications[body["bundle_id"]].outcome == "completed"
    [closed] = [
        StageClosed.model_validate(e.data) for e in w.store.events_of(StageClosed.event_type)
    ]
    assert closed.stage_id == opened.stage_id and closed.outcome == "completed"


async def test_the_applicant_tracks_the_bundle_as_one_thing() -> None:
    w = Wiring()
    body = (await apply(w, opening_a_business())).json()
    bundle_id, code = body["bundle_id"], body["verification_code"]
    ids = {i["item_code"]: i["case_id"] for i in body["items"]}
    prereview = prereview_done(
        ids[LICENCE], reasons=["章程缺少股东签字"], requested_materials=["articles"], decided_at=T0
    )
    env = make_envelope(prereview, source="/egov/approval", time=T0, id="pr-1")
    await bind(w.deps)[prereview.event_type](env, prereview)
    async with w.client(signed_in=False) as c:
        assert (
            await c.get(f"/v1/bundles/{bundle_id}", headers={"X-Verification-Code": "WRONG234"})
        ).status_code == 404
        r = await c.get(f"/v1/bundles/{bundle_id}", headers={"X-Verification-Code": code})
        assert r.status_code == 200, r.text
        view = r.json()
        assert view["status"] == "in_progress" and view["bundle_name"] == "开办企业一件事"
        items = {i["item_code"]: i for i in view["items"]}
        assert items[SEAL]["status"] == "held" and items[SEAL]["waiting_for"] == [LICENCE]
        assert view["owed"] == [
            {
                "item_code": LICENCE,
                "case_id": ids[LICENCE],
                "kind": "supplement",
                "materials": ["articles"],
            }
        ]
        # the same code opens each of the bundle's cases
        assert (
            await c.get(f"/v1/cases/{ids[SEAL]}", headers={"X-Verification-Code": code})
        ).status_code == 200
    await decide(w, ids[LICENCE], LICENCE, "denied")
    token = applicant_token(w.settings, id_number=PERSON, name="张三")
    async with w.client() as c:  # the applicant's own token opens it too
        own = {"Authorization": f"Bearer {token}"}
        view = (await c.get(f"/v1/bundles/{bundle_id}", headers=own)).json()
    assert view["status"] == "not_completed" and view["stopped_by"] == [LICENCE]
    assert {i["status"] for i in view["items"] if i["item_code"] != LICENCE} == {"cancelled"}


def counted(outcome: str) -> float:
    labels = {"bundle_code": BUSINESS, "outcome": outcome}
    return REGISTRY.get_sample_value("egov_intake_bundles_total", labels) or 0.0


async def test_bundles_and_their_steps_are_counted_by_outcome() -> None:
    w = Wiring()
    before = {
        o: counted(o) for o in ("accepted", "replayed", "invalid", "cancelled", "not_completed")
    }
    body = (await apply(w, opening_a_business())).json()
    await apply(w, opening_a_business())
    await apply(w, opening_a_business(form={}), key="bundle-key-2")
    ids = {i["item_code"]: i["case_id"] for i in body["items"]}
    await decide(w, ids[LICENCE], LICENCE, "denied")
    after = {o: counted(o) - n for o, n in before.items()}
    assert after == {"accepted": 1, "replayed": 1, "invalid": 1, "cancelled": 3, "not_completed": 1}
