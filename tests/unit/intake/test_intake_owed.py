"""Accept-with-gaps (容缺受理) at intake: what is owed and by when (working days from acceptance,
counted on the shared calendar), told at once and shown in tracking; the owed material supplied
later under the upload rules, and refused naming the field when it is not owed, in a form the
item does not take, another applicant's, or late."""

from __future__ import annotations

from datetime import UTC, datetime

from services.intake.domain.owed_rules import DEFAULT_SUPPLY_WORKING_DAYS
from services.intake.handlers import bind
from shared.contracts import (
    CaseDecided,
    CaseSubmitted,
    Envelope,
    MaterialForm,
    OwedMaterialsSupplied,
    make_envelope,
)
from tests.unit.intake.intake_fakes import Wiring
from tests.unit.intake.upload_steps import (
    OTHER,
    as_applicant,
    as_window_officer,
    fields,
    submission,
    upload,
)

# Thursday 2026-04-30 10:00 in Shanghai: the Labour Day holiday (May 1-5) follows, and
# Saturday May 9 is a declared working day (调休上班).
BEFORE_MAY_DAY = datetime(2026, 4, 30, 2, 0, tzinfo=UTC)
# 10 working days: May 6, 7, 8, 9 (Sat, worked), 11, 12, 13, 14, 15, 18.
DUE = "2026-05-18T23:59:59+08:00"


async def _accepted_with_gaps(w: Wiring) -> str:
    me = as_applicant(w)
    async with w.client() as c:
        body = submission({"application_form": await upload(w, c, me)})
        r = await c.post("/v1/cases", json=body, headers=me)
    assert r.status_code == 201, r.text
    return str(r.json()["case_id"])


async def test_the_deadline_counts_working_days_from_acceptance_across_a_holiday() -> None:
    assert DEFAULT_SUPPLY_WORKING_DAYS == 10
    w = Wiring()
    w.clock.set(BEFORE_MAY_DAY)
    me = as_applicant(w)
    async with w.client() as c:
        body = submission({"application_form": await upload(w, c, me)})
        r = await c.post("/v1/cases", json=body, headers=me)
        assert r.status_code == 201, r.text
        receipt = r.json()
        tracked = (await c.get(f"/v1/cases/{receipt['case_id']}", headers=me)).json()
    owed = [{"code": "premises", "name": "住所（经营场所）使用证明"}]
    assert (receipt["owed"], receipt["owed_due_at"]) == (owed, DUE)
    assert (tracked["owed"], tracked["owed_due_at"]) == (owed, DUE)
    event = CaseSubmitted.model_validate(w.store.events[0].data)
    assert event.owed is not None
    assert event.owed.due_at.isoformat() == DUE
    assert event.owed.limit.value == 10 and event.owed.accepted_at == BEFORE_MAY_DAY
    assert (event.owed.hold, event.owed.on_lapse, event.owed.credit_incident) == (
        "decide",
        "lapsed",
        False,
    )


async def test_a_complete_case_owes_nothing() -> None:
    w = Wiring()
    me = as_applicant(w)
    async with w.client() as c:
        uploads = {"application_form": await upload(w, c, me)}
        uploads["premises"] = await upload(w, c, me, material="premises")
        r = await c.post("/v1/cases", json=submission(uploads), headers=me)
    assert r.status_code == 201, r.text
    assert "owed" not in r.json()
    assert CaseSubmitted.model_validate(w.store.events[0].data).owed is None


async def test_the_item_sets_the_deadline_hold_and_consequence() -> None:
    w = Wiring()
    item = w.store.items["500000-SCJ-001"]
    rule = {"supply_working_days": 3, "hold": "deliver", "on_lapse": "refused"}
    gaps = item.gaps.model_copy(update=rule | {"credit_incident": True})
    w.store.items[item.code] = item.model_copy(update={"gaps": gaps})
    await _accepted_with_gaps(w)
    owed = CaseSubmitted.model_validate(w.store.events[0].data).owed
    assert owed is not None
    # Monday 2026-03-02 09:30 + 3 working days: Thursday.
    assert owed.due_at.isoformat() == "2026-03-05T23:59:59+08:00"
    assert (owed.hold, owed.on_lapse, owed.credit_incident) == ("deliver", "refused", True)


async def test_the_applicant_supplies_the_owed_material_and_approval_hears_it() -> None:
    w = Wiring()
    case_id = await _accepted_with_gaps(w)
    me = as_applicant(w)
    url = f"/v1/cases/{case_id}/owed-materials"
    async with w.client() as c:
        premises = await upload(w, c, me, material="premises")
        material = {"code": "premises", "form": "upload", "upload_id": premises}
        r = await c.post(url, json={"materials": [material]}, headers=me)
        assert r.status_code == 200, r.text
        assert r.json()["owed"] == []
        again = await c.post(url, json={"materials": [material]}, headers=me)
    assert again.status_code == 409 and again.json()["errors"][0]["field"] == "materials"
    [event] = w.store.events_of(OwedMaterialsSupplied.event_type)
    supplied = OwedMaterialsSupplied.model_validate(event.data)
    assert [m.upload_id for m in supplied.materials] == [premises] and supplied.remaining == []
    assert w.uploads.uploads[premises].case_id == case_id
    assert w.store.cases[case_id].timeline[-1].kind == "owed_supplied"


async def test_a_window_officer_of_the_receiving_region_may_supply_it() -> None:
    w = Wiring()
    case_id = await _accepted_with_gaps(w)
    url = f"/v1/cases/{case_id}/owed-materials"
    commitment = {"code": "premises", "form": "commitment", "commitment_text": "本人承诺住所真实"}
    async with w.client(signed_in=False) as c:
        elsewhere = await c.post(
            url, json={"materials": [commitment]}, headers=as_window_officer(w, "510100")
        )
        r = await c.post(url, json={"materials": [commitment]}, headers=as_window_officer(w))
    assert elsewhere.status_code == 404
    assert r.status_code == 200, r.text
    assert w.store.cases[case_id].owed_supplied == ["premises"]


async def test_bad_supplies_are_refused_naming_the_field() -> None:
    w = Wiring()
    case_id = await _accepted_with_gaps(w)
    me = as_applicant(w)
    url = f"/v1/cases/{case_id}/owed-materials"
    async with w.client() as c:
        articles = await upload(w, c, me, material="articles")
        not_owed = {"code": "articles", "form": "upload", "upload_id": articles}
        r = await c.post(url, json={"materials": [not_owed]}, headers=me)
        assert fields(r) == {"materials.0.code": "'articles' is not owed (premises)"}
        wrong_form = {"code": "premises", "form": "elicense", "licence_ref": "EL-X"}
        item = w.store.items["500000-SCJ-001"]
        uploads_only = [
            m.model_copy(update={"forms": [MaterialForm.UPLOAD]}) if m.code == "premises" else m
            for m in item.materials
        ]
        w.store.items[item.code] = item.model_copy(update={"materials": uploads_only})
        r = await c.post(url, json={"materials": [wrong_form]}, headers=me)
        assert fields(r) == {
            "materials.0.form": "住所（经营场所）使用证明 is accepted as upload only",
            "materials.0.licence_ref": "not found in the e-licence registry",
        }
        theirs = await upload(w, c, as_applicant(w, OTHER, "李四"), material="premises")
        r = await c.post(
            url,
            json={"materials": [{"code": "premises", "form": "upload", "upload_id": theirs}]},
            headers=me,
        )
        assert fields(r) == {"materials.0.upload_id": "no such upload of this applicant"}
        # Someone else's token does not open the case at all.
        r = await c.post(url, json={"materials": [not_owed]}, headers=as_applicant(w, OTHER))
        assert r.status_code == 404
    assert not w.store.events_of(OwedMaterialsSupplied.event_type)


async def test_an_approval_held_before_delivery_still_takes_the_owed_material() -> None:
    w = Wiring()
    case_id = await _accepted_with_gaps(w)
    approved = CaseDecided(
        case_id=case_id,
        decision="approved",
        department="500000-SCJ",
        item_code="500000-SCJ-001",
        region="500000",
        decided_at=w.clock.now(),
    )
    await bind(w.deps)[approved.event_type](_envelope(approved), approved)
    commitment = {"code": "premises", "form": "commitment", "commitment_text": "本人承诺住所真实"}
    async with w.client() as c:
        r = await c.post(
            f"/v1/cases/{case_id}/owed-materials",
            json={"materials": [commitment]},
            headers=as_applicant(w),
        )
    assert r.status_code == 200, r.text
    assert r.json()["decision"] == "approved" and r.json()["owed"] == []


async def test_nothing_is_taken_after_the_deadline_or_the_decision() -> None:
    w = Wiring()
    case_id = await _accepted_with_gaps(w)
    me = as_applicant(w)
    url = f"/v1/cases/{case_id}/owed-materials"
    owed = w.store.cases[case_id].owed
    assert owed is not None
    commitment = {"code": "premises", "form": "commitment", "commitment_text": "本人承诺住所真实"}
    async with w.client() as c:
        w.clock.set(owed.due_at.replace(second=59, microsecond=1))
        late = await c.post(url, json={"materials": [commitment]}, headers=me)
        w.clock.set(owed.due_at)
        lapsed = CaseDecided(
            case_id=case_id,
            decision="lapsed",
            reasons=["容缺受理材料未在承诺期限内补齐"],
            department="500000-SCJ",
            item_code="500000-SCJ-001",
            region="500000",
            decided_at=owed.due_at,
        )
        await bind(w.deps)[lapsed.event_type](_envelope(lapsed), lapsed)
        decided = await c.post(url, json={"materials": [commitment]}, headers=me)
    assert late.status_code == 409
    assert "deadline to supply passed on 2026-03-16" in late.json()["errors"][0]["message"]
    assert decided.status_code == 409
    assert decided.json()["errors"][0]["field"] == "materials"
    assert "decided (lapsed)" in decided.json()["detail"]


def _envelope(data: CaseDecided) -> Envelope:
    return make_envelope(
        data, source="/egov/approval", time=data.decided_at, id=f"ev-{data.decision}"
    )


async def test_a_supplement_that_brings_the_owed_material_settles_it() -> None:
    from shared.contracts import PreReviewDone
    from tests.unit.intake.intake_fakes import T0

    w = Wiring()
    case_id = await _accepted_with_gaps(w)
    me = as_applicant(w)
    asked = PreReviewDone(
        case_id=case_id,
        outcome="supplement_requested",
        reasons=["住所证明缺失"],
        requested_materials=["premises"],
        department="500000-SCJ",
        region="500000",
        decided_at=T0,
    )
    envelope = make_envelope(asked, source="/egov/approval", time=T0, id="ev-ask")
    await bind(w.deps)[asked.event_type](envelope, asked)
    async with w.client() as c:
        premises = await upload(w, c, me, material="premises")
        body = {"materials": [{"code": "premises", "form": "upload", "upload_id": premises}]}
        r = await c.post(f"/v1/cases/{case_id}/supplements", json=body, headers=me)
    assert r.status_code == 200, r.text
    assert r.json()["owed"] == []
    assert w.store.cases[case_id].owed_supplied == ["premises"]
