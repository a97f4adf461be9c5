"""Who may submit in an applicant's name (issue 18, finding 4: "anonymous submission in anyone's
name"): the applicant's real-name token, a registered agent, a window officer, a hall terminal;
verified contacts; the agent registry."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from services.intake.handlers.submission import on_submission_received
from services.intake.settings import IntakeSettings
from shared.contracts import CaseSubmitted
from shared.identifiers import make_resident_id, make_uscc
from shared.roles import Assurance
from tests.support.tokens import applicant_token, bearer, lasting_token
from tests.unit.intake.intake_fakes import Wiring
from tests.unit.intake.test_intake_submission import PERSON, business_licence, external

VICTIM = PERSON
ATTACKER = make_resident_id("500103", date(1985, 1, 2), 31)
EMPLOYEE = make_resident_id("500103", date(1992, 3, 4), 45)
COMPANY = make_uscc(7)


def person(w: Wiring, id_number: str, name: str, **kw: Any) -> dict[str, str]:
    return bearer(applicant_token(w.settings, id_number=id_number, name=name, **kw))


def officer(w: Wiring, *, roles: list[str], region: str | None = "500000") -> dict[str, str]:
    token = lasting_token(
        w.settings, subject="cq-scj-h01", roles=roles, department="500000-SCJ", region=region
    )
    return bearer(token)


def submitted(w: Wiring) -> CaseSubmitted:
    [event] = w.store.events_of(CaseSubmitted.event_type)
    return CaseSubmitted.model_validate(event.data)


async def test_a_submission_without_a_token_is_refused_with_401() -> None:
    w = Wiring()
    async with w.client(signed_in=False) as c:
        r = await c.post("/v1/cases", json=business_licence())
    assert r.status_code == 401 and r.headers["WWW-Authenticate"] == "Bearer"
    assert r.json()["errors"][0]["field"] == "Authorization"
    assert w.store.cases == {}


async def test_nobody_submits_in_someone_elses_name() -> None:
    w = Wiring()
    async with w.client(signed_in=False) as c:
        # the attacker's own real-name token, the victim's ID in the body, the attacker's phone
        r = await c.post(
            "/v1/cases",
            json=business_licence(contact={"phone": "13700000000"}),
            headers=person(w, ATTACKER, "李四"),
        )
        assert r.status_code == 403 and r.json()["errors"][0]["field"] == "applicant.id_number"
        # a bare token whose subject is the victim's ID number proves nothing either
        bare = lasting_token(w.settings, subject=VICTIM, roles=["applicant"])
        r = await c.post("/v1/cases", json=business_licence(), headers=bearer(bare))
        assert r.status_code == 403
        # the victim's identity under another name is not the victim
        r = await c.post(
            "/v1/cases",
            json=business_licence(),
            headers=person(w, VICTIM, "张三丰"),
        )
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "applicant.name"
    assert w.store.cases == {}


async def test_the_assurance_level_is_the_deployments() -> None:
    w = Wiring()
    async with w.client(signed_in=False) as c:
        weak = person(w, VICTIM, "张三", assurance=Assurance.REAL_NAME)
        r = await c.post("/v1/cases", json=business_licence(), headers=weak)
        assert r.status_code == 403 and "real_person" in r.json()["detail"]
    lenient = Wiring(applicant_min_assurance="real_name")
    async with lenient.client(signed_in=False) as c:
        weak = person(lenient, VICTIM, "张三", assurance=Assurance.REAL_NAME)
        assert (await c.post("/v1/cases", json=business_licence(), headers=weak)).status_code == 201


async def test_own_token_submits_and_verifies_only_the_contacts_its_provider_verified() -> None:
    w = Wiring()
    body = business_licence(contact={"phone": "138 0013 8000", "email": "zs@example.cn"})
    async with w.client(signed_in=False) as c:
        token = person(w, VICTIM, "张三", phone="+8613800138000")  # email not verified
        r = await c.post("/v1/cases", json=body, headers=token)
    assert r.status_code == 201, r.text
    data = submitted(w)
    assert data.contact.phone == "+8613800138000" and data.contact.phone_verified
    assert not data.contact.email_verified
    assert data.submitted_by is not None and data.submitted_by.kind == "applicant"
    assert data.submitted_by.assurance == Assurance.REAL_PERSON


async def test_a_window_officer_submits_on_the_window_channel_of_their_region_only() -> None:
    w = Wiring()
    async with w.client(signed_in=False) as c:
        handler = officer(w, roles=["handler"])
        r = await c.post("/v1/cases", json=business_licence(channel="window"), headers=handler)
        assert r.status_code == 201, r.text
        # online channels are the applicant's own
        r = await c.post("/v1/cases", json=business_licence(), headers=handler)
        assert r.status_code == 403
        # a Chengdu window does not receive for Chongqing
        chengdu = officer(w, roles=["handler"], region="510100")
        r = await c.post("/v1/cases", json=business_licence(channel="window"), headers=chengdu)
        assert r.status_code == 403 and r.json()["errors"][0]["field"] == "receiving_region"
        # a supervisor is no window officer
        r = await c.post(
            "/v1/cases",
            json=business_licence(channel="window"),
            headers=officer(w, roles=["supervisor"]),
        )
        assert r.status_code == 403
    data = submitted(w)
    assert data.submitted_by is not None
    assert (data.submitted_by.kind, data.submitted_by.subject) == ("officer", "cq-scj-h01")
    assert data.submitted_by.department == "500000-SCJ"
    assert not data.contact.phone_verified  # the officer does not vouch for the phone
    case = w.store.cases[data.case_id]
    assert "帮办代办" in case.timeline[0].text


async def test_a_terminal_submits_on_its_channels() -> None:
    w = Wiring()
    kiosk = bearer(lasting_token(w.settings, subject="kiosk-17", roles=["terminal"]))
    async with w.client(signed_in=False) as c:
        r = await c.post("/v1/cases", json=business_licence(channel="kiosk"), headers=kiosk)
        assert r.status_code == 201, r.text
        r = await c.post("/v1/cases", json=business_licence(channel="web"), headers=kiosk)
        assert r.status_code == 403
    assert submitted(w).submitted_by.kind == "terminal"  # type: ignore[union-attr]


async def test_a_company_names_an_agent_who_then_applies_and_follows_the_case() -> None:
    w = Wiring()
    company = person(w, COMPANY, "山城小面有限公司", kind="entity")
    employee = person(w, EMPLOYEE, "王五")
    body = business_licence(
        applicant={"kind": "entity", "id_number": COMPANY, "name": "山城小面有限公司"}
    )
    grant = {"agent": {"id_number": EMPLOYEE, "name": "王五"}, "valid_until": "2026-12-31"}
    async with w.client(signed_in=False) as c:
        assert (await c.post("/v1/cases", json=body, headers=employee)).status_code == 403
        r = await c.post("/v1/agents", json=grant, headers=company)
        assert r.status_code == 201, r.text
        assert r.json()["subject_id"] == COMPANY and r.json()["granted_by"] == f"idp-{COMPANY}"
        r = await c.post("/v1/cases", json=body, headers=employee)
        assert r.status_code == 201, r.text
        case_id = r.json()["case_id"]
        # the agent follows the case with their own token; a stranger does not
        assert (await c.get(f"/v1/cases/{case_id}", headers=employee)).status_code == 200
        stranger = person(w, ATTACKER, "李四")
        assert (await c.get(f"/v1/cases/{case_id}", headers=stranger)).status_code == 404
        # listed, then revoked: no more submissions
        [listed] = (await c.get("/v1/agents", headers=company)).json()
        assert listed["agent_id"] == EMPLOYEE and listed["revoked_at"] is None
        r = await c.delete(f"/v1/agents/{EMPLOYEE}", headers=company)
        assert r.status_code == 200 and r.json()["revoked_at"]
        assert (await c.post("/v1/cases", json=body, headers=employee)).status_code == 403
    by = submitted(w).submitted_by
    assert by is not None and (by.kind, by.subject) == ("agent", f"idp-{EMPLOYEE}")
    assert not submitted(w).contact.phone_verified  # the agent's token vouches for no one else


async def test_a_grant_limited_to_items_or_past_its_date_does_not_cover_others() -> None:
    w = Wiring()
    company = person(w, COMPANY, "山城小面有限公司", kind="entity")
    employee = person(w, EMPLOYEE, "王五")
    body = business_licence(
        applicant={"kind": "entity", "id_number": COMPANY, "name": "山城小面有限公司"}
    )
    async with w.client(signed_in=False) as c:
        grant = {
            "agent": {"id_number": EMPLOYEE, "name": "王五"},
            "valid_until": "2026-12-31",
            "item_codes": ["500000-XXX-999"],
        }
        assert (await c.post("/v1/agents", json=grant, headers=company)).status_code == 201
        assert (await c.post("/v1/cases", json=body, headers=employee)).status_code == 403
        past = {"agent": {"id_number": EMPLOYEE, "name": "王五"}, "valid_until": "2026-03-01"}
        r = await c.post("/v1/agents", json=past, headers=company)  # T0 is 2026-03-02
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "valid_until"
        own = {"agent": {"id_number": EMPLOYEE, "name": "王五"}, "valid_until": "2026-12-31"}
        r = await c.post("/v1/agents", json=own, headers=employee)  # no one is their own agent
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "agent.id_number"
        officer_token = officer(w, roles=["handler"])
        assert (await c.post("/v1/agents", json=own, headers=officer_token)).status_code == 403
        assert (await c.get("/v1/agents")).status_code == 401


async def test_an_idempotent_replay_answers_only_who_may_submit() -> None:
    w = Wiring()
    key = {"Idempotency-Key": "replay-key-0001"}
    async with w.client(signed_in=False) as c:
        own = person(w, VICTIM, "张三")
        first = await c.post("/v1/cases", json=business_licence(), headers=own | key)
        assert first.status_code == 201
        # the same key and body without the token: no receipt (it carries the code)
        r = await c.post("/v1/cases", json=business_licence(), headers=key)
        assert r.status_code == 401 and "verification_code" not in r.text
        r = await c.post("/v1/cases", json=business_licence(), headers=own | key)
        assert r.status_code == 200 and r.json() == first.json()


async def test_a_registered_system_vouches_for_its_submissions() -> None:
    w = Wiring()
    envelope, data = external(
        "BANK-9", contact={"phone": "13800138000", "phone_verified": True, "email": "a@b.cn"}
    )
    await on_submission_received(w.deps, envelope, data)
    event = submitted(w)
    assert event.submitted_by is not None
    assert (event.submitted_by.kind, event.submitted_by.subject) == ("system", "cq-bank-terminal")
    assert event.contact.phone_verified and not event.contact.email_verified


@pytest.mark.parametrize("value", ["basic", "none", "1"])
def test_production_refuses_less_than_real_name_assurance(value: str) -> None:
    problems = IntakeSettings(applicant_min_assurance=value).production_problems()
    assert any("EGOV_APPLICANT_MIN_ASSURANCE" in p for p in problems)
    assert not any(
        "ASSURANCE" in p
        for p in IntakeSettings(applicant_min_assurance="real_name").production_problems()
    )
