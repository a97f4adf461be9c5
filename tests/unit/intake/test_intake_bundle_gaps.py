"""Accept-with-gaps (容缺受理) across a bundle: an item of a bundle whose rules allow it is
accepted with its material owed exactly as a lone case is (the same owed material, deadline,
hold and consequence, from the same rule), the bundle's view lists what each item owes, and a
held item's owed material supplied before its release is not owed when approval hears of it."""

from __future__ import annotations

from typing import Any

from services.intake.domain.owed_rules import DEFAULT_SUPPLY_WORKING_DAYS
from shared.contracts import CaseSubmitted, OwedMaterialsSupplied
from tests.unit.intake.intake_fakes import Wiring
from tests.unit.intake.test_intake_bundles import (
    LICENCE,
    PERSON,
    SEAL,
    apply,
    decide,
    opening_a_business,
    submitted,
)
from tests.unit.intake.test_intake_submission import UPLOAD
from tests.unit.intake.upload_steps import as_applicant, submission

RESTAURANT, SHOP, FOOD, FIRE = (
    "500000-YJS-003",
    "500000-SCJ-003",
    "500000-SCJ-002",
    "500000-XFJY-001",
)


def without(body: dict[str, Any], code: str, **changes: Any) -> dict[str, Any]:
    kept = [m for m in body["materials"] if m["code"] != code]
    return {**body, "materials": kept, **changes}


def a_small_restaurant(**changes: Any) -> dict[str, Any]:
    codes = (
        "id_card",
        "registration_form",
        "food_application_form",
        "layout",
        "food_safety_rules",
        "fire_application_form",
    )
    return {
        "bundle_code": RESTAURANT,
        "applicant": {"kind": "person", "id_number": PERSON, "name": "张三"},
        "contact": {"phone": "13800138000"},
        "form": {"shop_name": "张记小面", "address": "渝中区解放碑1号", "floor_area_m2": 60},
        "materials": [
            *({"code": c, **UPLOAD} for c in codes),
            {"code": "fire_commitment", "form": "commitment", "commitment_text": "本人承诺……"},
        ],
        "receiving_region": "500000",
        **changes,
    }


async def test_an_item_is_accepted_with_gaps_exactly_as_a_lone_case_is() -> None:
    w = Wiring()
    r = await apply(w, without(opening_a_business(), "premises", accept_with_gaps=True))
    assert r.status_code == 201, r.text
    ids = {i["item_code"]: i["case_id"] for i in r.json()["items"]}
    told = {i["item_code"]: i for i in r.json()["items"]}  # told at acceptance, per item
    assert told[LICENCE]["owed"] == [{"code": "premises", "name": "住所（经营场所）使用证明"}]
    assert "owed" not in told[SEAL]
    event = submitted(w)[LICENCE]
    assert event.accept_with_gaps and event.owed is not None
    assert [m.code for m in event.owed.materials] == ["premises"]
    assert event.owed.limit.value == DEFAULT_SUPPLY_WORKING_DAYS
    assert told[LICENCE]["owed_due_at"] == event.owed.due_at.isoformat()
    # the bundle each case.submitted tells of says what each item owes (notify's one message)
    assert event.bundle is not None
    by_item = {i.item_code: i.owed for i in event.bundle.items}
    assert by_item[SEAL] is None and by_item[LICENCE] is not None
    assert by_item[LICENCE].materials == event.owed.materials
    assert by_item[LICENCE].due_at == event.owed.due_at
    # the same item applied for alone at the same moment owes the same, by the same rule
    lone = await _lone_case_with_gaps(w)
    assert lone.owed is not None
    assert event.owed.model_dump() == lone.owed.model_dump()
    assert w.store.cases[ids[LICENCE]].owed == w.store.cases[lone.case_id].owed
    # the items missing nothing are simply complete
    assert w.store.cases[ids[SEAL]].owed is None and not w.store.cases[ids[SEAL]].accept_with_gaps


async def _lone_case_with_gaps(w: Wiring) -> CaseSubmitted:
    body = submission({}, accept_with_gaps=True)
    body["materials"].append({"code": "application_form", **UPLOAD})
    async with w.client() as c:
        r = await c.post("/v1/cases", json=body, headers=as_applicant(w))
    assert r.status_code == 201, r.text
    return submitted_case(w, r.json()["case_id"])


def submitted_case(w: Wiring, case_id: str) -> CaseSubmitted:
    [data] = [
        CaseSubmitted.model_validate(e.data)
        for e in w.store.events_of(CaseSubmitted.event_type)
        if e.data["case_id"] == case_id
    ]
    return data


async def test_without_asking_or_for_a_key_material_the_gap_is_refused_naming_the_item() -> None:
    w = Wiring()
    r = await apply(w, without(opening_a_business(), "premises"))
    assert r.status_code == 422
    [error] = r.json()["errors"]
    assert error["field"] == f"items.{LICENCE}.materials" and "accept-with-gaps" in error["message"]
    # a key material (the seal's specimen) is never owed, with or without asking
    r = await apply(
        w, without(opening_a_business(), "seal_specimen", accept_with_gaps=True), key="bundle-key-2"
    )
    assert r.status_code == 422
    [error] = r.json()["errors"]
    assert error["field"] == f"items.{SEAL}.materials" and "印章式样" in error["message"]
    assert w.store.cases == {}


async def test_the_bundle_view_lists_what_each_item_owes() -> None:
    w = Wiring()
    body = (await apply(w, without(opening_a_business(), "premises", accept_with_gaps=True))).json()
    ids = {i["item_code"]: i["case_id"] for i in body["items"]}
    async with w.client(signed_in=False) as c:
        code = {"X-Verification-Code": body["verification_code"]}
        view = (await c.get(f"/v1/bundles/{body['bundle_id']}", headers=code)).json()
    [owed] = view["owed"]
    case = w.store.cases[ids[LICENCE]]
    assert case.owed is not None
    assert owed == {
        "item_code": LICENCE,
        "case_id": ids[LICENCE],
        "kind": "accept_with_gaps",
        "materials": ["premises"],
        "due_at": case.owed.due_at.isoformat(),
        "due_text": owed["due_text"],
        "supply_url": f"/v1/cases/{ids[LICENCE]}/owed-materials",
    }
    await decide(w, ids[LICENCE], LICENCE, "lapsed")  # the consequence: nothing owed any more
    async with w.client(signed_in=False) as c:
        view = (await c.get(f"/v1/bundles/{body['bundle_id']}", headers=code)).json()
    assert view["owed"] == [] and view["status"] == "not_completed"


async def test_a_held_items_material_supplied_before_its_release_is_not_owed_at_release() -> None:
    w = Wiring()
    r = await apply(w, without(a_small_restaurant(), "layout", accept_with_gaps=True))
    assert r.status_code == 201, r.text
    body = r.json()
    ids = {i["item_code"]: i["case_id"] for i in body["items"]}
    held = w.store.cases[ids[FOOD]]
    assert held.status == "held" and held.owed is not None
    assert [m.code for m in held.owed.materials] == ["layout"]
    code = {"X-Verification-Code": body["verification_code"]}
    async with w.client(signed_in=False) as c:
        supplied = await c.post(
            f"/v1/cases/{ids[FOOD]}/owed-materials",
            json={"materials": [{"code": "layout", **UPLOAD}]},
            headers=code,
        )
    assert supplied.status_code == 200, supplied.text
    # approval has not heard of the held case: nothing is published for it yet
    assert w.store.events_of(OwedMaterialsSupplied.event_type) == []
    await decide(w, ids[SHOP], SHOP, "approved", ref="EL-IB-500000-0001")
    released = submitted(w)[FOOD]
    assert released.accept_with_gaps and released.owed is None
    assert "layout" in {m.code for m in released.materials}
    assert FIRE in submitted(w)
