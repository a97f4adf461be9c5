"""E-licences issued by approvals and reused by later applications (issue 19):
services/intake/domain/licences.py through the intake API and handlers, with fakes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from services.intake.domain.licences import (
    Licence,
    LicenceSpec,
    LicenceStatus,
    issued,
    licence_problem,
    reusable,
    revoked,
)
from shared.contracts import CaseDecided, CaseSubmitted, LicenceIssued, LicenceRevoked
from tests.unit.intake.intake_fakes import T0, Wiring
from tests.unit.intake.test_intake_tracking_ratings import deliver

ENTITY = "91310000000000019Q"  # holds the reference business licence EL-BL-91310000000000019Q
OTHER = "91500000MA5U7XXX1A"
UPLOAD = {"form": "upload", "sha256": "a" * 64, "size": 2048}
SPEC = LicenceSpec(type="food_business_licence", name="食品经营许可证", valid_years=5)


def food_licence(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "item_code": "500000-SCJ-002",
        "applicant": {"kind": "entity", "id_number": ENTITY, "name": "上海某某有限公司"},
        "contact": {"phone": "13800138000"},
        "materials": [
            {"code": "id_card", **UPLOAD},
            {"code": "application_form", **UPLOAD},
            {"code": "layout", **UPLOAD},
            {"code": "food_safety_rules", **UPLOAD},
        ],
        "channel": "web",
        "receiving_region": "500000",
    }
    body.update(changes)
    return body


def decision(case_id: str, outcome: str, ref: str | None, at: datetime = T0) -> CaseDecided:
    return CaseDecided(
        case_id=case_id,
        decision=outcome,  # type: ignore[arg-type]
        reasons=["承诺内容与实际不符"] if outcome == "revoked" else [],
        licence_ref=ref,
        department="500000-SCJ",
        item_code="500000-SCJ-002",
        region="500000",
        decided_at=at,
    )


def test_validity_runs_to_the_day_before_the_anniversary() -> None:
    common = {"ref": "EL-1", "holder": ENTITY, "case_id": "C", "department": "D", "region": "R"}
    lic = issued(SPEC, day=date(2026, 3, 2), **common)
    assert (lic.valid_from, lic.valid_until) == (date(2026, 3, 2), date(2031, 3, 1))
    leap = issued(SPEC, day=date(2028, 2, 29), **common)
    assert leap.valid_until == date(2033, 2, 27)
    forever = issued(LicenceSpec(type="x", name="x"), day=date(2026, 3, 2), **common)
    assert forever.valid_until is None


@pytest.mark.parametrize(
    ("changes", "holder", "wanted", "problem"),
    [
        ({}, ENTITY, "food_business_licence", None),
        ({}, OTHER, "food_business_licence", "belongs to another holder"),
        ({}, ENTITY, "business_licence", "is a food_business_licence; this material needs"),
        ({"valid_until": date(2026, 3, 1)}, ENTITY, None, "expired on 2026-03-01"),
        ({"valid_from": date(2026, 3, 3)}, ENTITY, None, "valid from 2026-03-03"),
        ({"status": LicenceStatus.REVOKED}, ENTITY, None, "was revoked"),
    ],
)
def test_a_reference_must_be_the_holders_valid_licence_of_the_type(
    changes: dict[str, Any], holder: str, wanted: str | None, problem: str | None
) -> None:
    lic = Licence(ref="EL-1", type="food_business_licence", holder=ENTITY).model_copy(
        update=changes
    )
    found = licence_problem(lic, holder=holder, wanted_type=wanted, today=date(2026, 3, 2))
    assert (found is None) if problem is None else (problem in (found or ""))
    assert licence_problem(None, holder=ENTITY, wanted_type=None, today=date(2026, 3, 2)) == (
        "not found in the e-licence registry"
    )


def test_reuse_takes_a_usable_licence_of_the_type_longest_valid_first() -> None:
    today = date(2026, 3, 2)
    short = Licence(ref="A", type="t", holder=ENTITY, valid_until=date(2027, 1, 1))
    endless = Licence(ref="B", type="t", holder=ENTITY)
    gone = revoked(Licence(ref="C", type="t", holder=ENTITY), at=T0, reason="x")
    assert reusable([short, endless, gone], "t", today) is endless
    assert reusable([short, gone], "t", today) is short
    assert reusable([gone], "t", today) is None and reusable([short], "u", today) is None


async def test_a_licence_the_registry_holds_is_not_asked_for_again() -> None:
    w = Wiring()
    async with w.client() as c:
        # the business licence is left out: the registry proves it; the applicant's claim
        # that an upload was verified is not taken
        materials = food_licence()["materials"]
        materials[2] = {**materials[2], "verified_from_licence": True}
        r = await c.post("/v1/cases", json=food_licence(materials=materials))
        assert r.status_code == 201, r.text
        # an applicant who holds none must still send it
        r = await c.post(
            "/v1/cases",
            json=food_licence(
                applicant={"kind": "entity", "id_number": OTHER, "name": "重庆某某有限公司"}
            ),
        )
        assert r.status_code == 422 and "business_licence" in r.text
    [event] = w.store.events_of(CaseSubmitted.event_type)
    data = CaseSubmitted.model_validate(event.data)
    filled = next(m for m in data.materials if m.code == "business_licence")
    assert filled.verified_from_licence and filled.licence_ref == f"EL-BL-{ENTITY}"
    assert data.issues_licence
    # what the applicant sends is never marked verified by its own say-so
    assert not any(m.verified_from_licence for m in data.materials if m.code != "business_licence")


async def test_an_approval_issues_the_licence_and_a_revocation_revokes_it() -> None:
    w = Wiring()
    async with w.client() as c:
        created = (await c.post("/v1/cases", json=food_licence())).json()
        case_id, code = created["case_id"], created["verification_code"]
        ref = f"EL-500000-SCJ-002-{case_id}"
        await deliver(w, decision(case_id, "approved", ref), "d-1")
        await deliver(w, decision(case_id, "approved", ref), "d-1")  # redelivered
        view = (await c.get(f"/v1/cases/{case_id}", headers={"X-Verification-Code": code})).json()
        assert view["licence"] == {
            "licence_ref": ref,
            "type": "food_business_licence",
            "name": "食品经营许可证",
            "valid_from": "2026-03-02",
            "valid_until": "2031-03-01",
            "status": "valid",
        }
        assert "电子证照“食品经营许可证”" in view["timeline"][-1]["text"]
    [issued_event] = w.store.events_of(LicenceIssued.event_type)
    assert issued_event.data["holder"] == ENTITY and issued_event.subject == case_id
    assert w.store.licences[ref].status is LicenceStatus.VALID

    await deliver(w, decision(case_id, "revoked", ref, T0.replace(day=20)), "d-2")
    [revoked_event] = w.store.events_of(LicenceRevoked.event_type)
    assert revoked_event.data["licence_ref"] == ref
    assert w.store.licences[ref].status is LicenceStatus.REVOKED


async def test_a_denied_case_or_an_item_without_a_licence_issues_none() -> None:
    w = Wiring()
    async with w.client() as c:
        created = (await c.post("/v1/cases", json=food_licence())).json()
        await deliver(w, decision(created["case_id"], "denied", None), "d-1")
    assert w.store.events_of(LicenceIssued.event_type) == []
    assert all(lic.case_id is None for lic in w.store.licences.values())


async def test_references_of_the_wrong_type_holder_or_state_are_refused_by_material() -> None:
    w = Wiring()
    w.store.licences["EL-FOOD-1"] = Licence(
        ref="EL-FOOD-1", type="food_business_licence", holder=ENTITY
    )
    w.store.licences["EL-BL-OLD"] = Licence(
        ref="EL-BL-OLD", type="business_licence", holder=ENTITY, valid_until=date(2025, 1, 1)
    )
    w.store.licences["EL-BL-OTHER"] = Licence(
        ref="EL-BL-OTHER", type="business_licence", holder=OTHER
    )
    async with w.client() as c:
        for ref, message in (
            ("EL-FOOD-1", "this material needs a business_licence"),
            ("EL-BL-OLD", "expired on 2025-01-01"),
            ("EL-BL-OTHER", "belongs to another holder"),
            ("EL-NOWHERE", "not found"),
        ):
            materials = [
                *food_licence()["materials"],
                {"code": "business_licence", "form": "elicense", "licence_ref": ref},
            ]
            r = await c.post("/v1/cases", json=food_licence(materials=materials))
            assert r.status_code == 422, (ref, r.text)
            [error] = r.json()["errors"]
            assert error["field"] == "materials.4.licence_ref" and message in error["message"]
    assert w.store.cases == {}
