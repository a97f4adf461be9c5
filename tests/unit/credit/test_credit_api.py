"""The HTTP API on in-memory fakes: visibility by caller, errors, objections, repair, ranking."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from services.credit.handlers import Deps, on_credit_incident
from shared.clock import FixedClock
from shared.contracts import CreditIncident, make_envelope
from shared.identifiers import make_resident_id
from tests.support.tokens import lasting_token
from tests.unit.credit.credit_fakes import SETTINGS, START, bearer, make_app, make_deps

PERSON = make_resident_id("500103", datetime(1990, 5, 17).date(), 12)
OTHER = make_resident_id("500103", datetime(1985, 1, 2).date(), 33)


@pytest.fixture
async def world() -> AsyncIterator[tuple[Deps, httpx.AsyncClient, FixedClock]]:
    clock = FixedClock(START)
    deps = make_deps(clock)
    transport = httpx.ASGITransport(make_app(deps))
    async with httpx.AsyncClient(transport=transport, base_url="http://credit") as client:
        yield deps, client, clock


async def add(deps: Deps, subject: str, kind: str, severity: str, desc: str = "x") -> None:
    data = CreditIncident.model_validate(
        {
            "subject_id": subject,
            "subject_kind": kind,
            "incident_type": "false_commitment" if kind != "department" else "overdue_escalation",
            "severity": severity,
            "source_system": "test",
            "evidence": ["CASE-9"],
            "description": desc,
            "occurred_at": deps.clock.now(),
        }
    )
    await on_credit_incident(deps, make_envelope(data, source="/test", time=START), data)


async def test_unknown_subject_is_level_a_and_bad_id_is_422(world) -> None:
    _, client, _ = world
    r = await client.get(f"/v1/subjects/{PERSON}/credit")
    assert r.status_code == 200
    body = r.json()
    assert (body["level"], body["red_list"], body["black_list"], body["records"]) == (
        "A",
        True,
        False,
        [],
    )
    bad = await client.get("/v1/subjects/500103199005170127/credit")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "subject_id"


async def test_visibility_by_caller(world) -> None:
    deps, client, clock = world
    await add(deps, PERSON, "person", "serious", desc=f"commitment by {PERSON} was false")
    await add(deps, PERSON, "person", "general")
    records = list(deps.store.records.values())  # type: ignore[attr-defined]
    general = next(r for r in records if r.severity.value == "general")
    await client.post(
        f"/v1/records/{general.record_id}/objections",
        json={"reason": "not mine"},
        headers=bearer(PERSON, "applicant"),
    )
    url = f"/v1/subjects/{PERSON}/credit"
    own = (await client.get(url, headers=bearer(PERSON, "applicant"))).json()
    assert own["viewer"] == "subject" and len(own["records"]) == 2
    assert own["records"][0]["history"] and own["subject_id"] == PERSON
    office = bearer("o0", "handler", department="500000-FGW")  # the social-credit department
    full = (await client.get(url, headers=office)).json()
    assert full["viewer"] == "credit_office" and len(full["records"]) == 2
    assert full["records"][0]["history"] and full["subject_id"] == PERSON
    # Other officers and systems: the standing and the records in effect, masked summaries.
    for caller in (
        bearer("svc-intake", "system"),
        bearer("o1", "handler", department="500000-SCJ"),
    ):
        other = (await client.get(url, headers=caller)).json()
        assert other["viewer"] == "officer" and (other["level"], other["black_list"]) == (
            "B",
            False,
        )
        [shown] = other["records"]  # the disputed one is not in effect
        assert "evidence" not in shown and "history" not in shown and PERSON not in str(other)
        one = (await client.get(f"/v1/records/{shown['record_id']}", headers=caller)).json()
        assert "evidence" not in one and PERSON not in str(one)
        whole = (await client.get(f"/v1/records/{shown['record_id']}", headers=office)).json()
        assert whole["evidence"] and whole["subject_id"] == PERSON
    # a token whose subject is the ID number, without the provider's real-name claims, is
    # nobody's in particular (issue 18, finding 4)
    bare = lasting_token(SETTINGS, subject=PERSON, roles=["applicant"])
    for headers in ({}, bearer(OTHER, "applicant"), {"Authorization": f"Bearer {bare}"}):
        public = (await client.get(url, headers=headers)).json()
        assert public["viewer"] == "public" and public["level"] == "B"
        assert public["subject_id"] == PERSON[:4] + "*" * 10 + PERSON[-4:]
        [shown] = public["records"]  # the disputed one is hidden
        assert shown["severity"] == "serious" and PERSON not in str(public)
        assert "evidence" not in shown and "history" not in shown
    clock.advance(timedelta(days=366))  # publicity period of the serious record is over
    public = (await client.get(url)).json()
    assert public["records"] == [] and public["level"] == "A"
    bad_token = await client.get(url, headers={"Authorization": "Bearer nonsense"})
    assert bad_token.status_code == 401


async def test_objection_and_repair_over_http(world) -> None:
    deps, client, clock = world
    await add(deps, PERSON, "person", "serious")
    [record] = deps.store.records.values()  # type: ignore[attr-defined]
    rid = record.record_id
    r = await client.post(
        f"/v1/records/{rid}/objections", json={"reason": "x"}, headers=bearer(OTHER, "applicant")
    )
    assert r.status_code == 403
    r = await client.post(
        f"/v1/records/{rid}/objections", json={"reason": ""}, headers=bearer(PERSON, "applicant")
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "reason"
    r = await client.post(
        f"/v1/records/{rid}/objections", json={"reason": "x"}, headers=bearer(PERSON, "applicant")
    )
    assert r.status_code == 201 and r.json()["objection_id"].startswith("OBJ-")
    oid = r.json()["objection_id"]
    fgw = bearer("chief", "supervisor", department="500000-FGW")
    r = await client.post(
        f"/v1/objections/{oid}/decision", json={"outcome": "upheld", "reason": "y"}, headers=fgw
    )
    assert r.status_code == 422
    r = await client.post(
        f"/v1/objections/{oid}/decision",
        json={"outcome": "rejected", "reason": "evidence holds"},
        headers=bearer("h", "handler", department="500000-FGW"),
    )
    assert r.status_code == 403
    r = await client.post(
        f"/v1/objections/{oid}/decision",
        json={"outcome": "rejected", "reason": "evidence holds"},
        headers=fgw,
    )
    assert r.status_code == 200 and r.json()["status"] == "active"
    r = await client.post(
        f"/v1/records/{rid}/repair",
        json={"rectification": "paid the fine"},
        headers=bearer(PERSON, "applicant"),
    )
    assert r.status_code == 409
    assert r.json()["earliest"].startswith("2026-06-02T02:00:00")
    assert "2026-06-02" in r.json()["detail"]
    clock.set(datetime.fromisoformat(r.json()["earliest"]))
    r = await client.post(
        f"/v1/records/{rid}/repair",
        json={"rectification": "paid the fine", "evidence": ["receipt-1"]},
        headers=bearer(PERSON, "applicant"),
    )
    assert r.status_code == 202
    r = await client.post(
        f"/v1/records/{rid}/repair/decision", json={"approved": True, "reason": "ok"}, headers=fgw
    )
    assert r.status_code == 200 and r.json()["status"] == "repaired"
    credit = (await client.get(f"/v1/subjects/{PERSON}/credit")).json()
    assert credit["level"] == "A" and credit["records"] == []
    r = await client.post(
        f"/v1/records/{rid}/objections", json={"reason": "x"}, headers=bearer(PERSON, "applicant")
    )
    assert r.status_code == 409
    assert (await client.get("/v1/records/CR-NOPE", headers=fgw)).status_code == 404


async def test_department_ranking_for_supervisors(world) -> None:
    deps, client, _ = world
    for _ in range(2):
        await add(deps, "500000-SCJ", "department", "serious")
    await add(deps, "510100-GAJ", "department", "general")
    url = "/v1/rankings/departments?from=2026-03-01&to=2026-03-31"
    assert (await client.get(url, headers=bearer("a", "applicant"))).status_code == 403
    body = (await client.get(url, headers=bearer("s", "supervisor"))).json()
    rows = body["departments"]
    assert [(r["rank"], r["department"], r["records"]) for r in rows] == [
        (1, "500000-SCJ", 2),
        (2, "510100-GAJ", 1),
    ]
    assert rows[0]["by_severity"]["serious"] == 2 and rows[0]["name"]
    empty = await client.get(
        "/v1/rankings/departments?from=2026-04-01&to=2026-04-30", headers=bearer("s", "supervisor")
    )
    assert empty.json()["departments"] == []
    bad = await client.get(
        "/v1/rankings/departments?from=2026-04-01&to=2026-03-30", headers=bearer("s", "supervisor")
    )
    assert bad.status_code == 422
    missing = await client.get("/v1/rankings/departments", headers=bearer("s", "supervisor"))
    assert missing.status_code == 422


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("from=2026-03-01&to=9999-12-31", "query.to", "less than or equal to 2099-12-31"),
        ("from=9999-12-31&to=9999-12-31", "query.from", "less than or equal to 2099-12-31"),
        ("from=0001-01-01&to=2026-03-31", "query.from", "greater than or equal to 2000-01-01"),
        ("from=2026-03-01&to=2026-02-30", "query.to", "day value is outside expected range"),
    ],
)
async def test_ranking_dates_out_of_range_are_422_naming_the_field(
    world, query: str, field: str, message: str
) -> None:
    _, client, _ = world
    r = await client.get(f"/v1/rankings/departments?{query}", headers=bearer("s", "supervisor"))
    assert r.status_code == 422, r.text
    errors = {e["field"]: e["message"] for e in r.json()["errors"]}
    assert message in errors[field]
    edge = await client.get(
        "/v1/rankings/departments?from=2000-01-01&to=2099-12-31", headers=bearer("s", "supervisor")
    )
    assert edge.status_code == 200 and edge.json()["departments"] == []


async def test_objection_beyond_the_provisional_horizon_is_503_not_500(world) -> None:
    deps, client, clock = world
    await add(deps, PERSON, "person", "very_serious")
    [record] = deps.store.records.values()  # type: ignore[attr-defined]
    # 2027 is provisional (statutory holidays only); 2028 is beyond the horizon
    clock.set(datetime(2027, 12, 27, 2, 0, tzinfo=UTC))
    r = await client.post(
        f"/v1/records/{record.record_id}/objections",
        json={"reason": "x"},
        headers=bearer(PERSON, "applicant"),
    )
    assert r.status_code == 503 and "2028" in r.json()["detail"]
    assert deps.store.records[record.record_id].status.value == "active"  # type: ignore[attr-defined]


async def test_an_objection_due_in_a_provisional_year_is_recomputed_on_publication(world) -> None:
    from datetime import date

    from services.credit.handlers import recompute_objection_deadlines
    from shared.calendar import YearSchedule
    from shared.calendar.statutory import statutory_holidays
    from shared.clock import SHANGHAI

    deps, client, clock = world
    clock.set(datetime(2026, 12, 28, 10, tzinfo=SHANGHAI))
    await add(deps, PERSON, "person", "serious")
    [record] = deps.store.records.values()  # type: ignore[attr-defined]
    r = await client.post(
        f"/v1/records/{record.record_id}/objections",
        json={"reason": "x"},
        headers=bearer(PERSON, "applicant"),
    )
    assert r.status_code == 201, r.text
    [opened] = deps.store.events("stage.opened.v1")  # type: ignore[attr-defined]
    # 10 working days: Dec 29-31, (Jan 1 off), Jan 4-8, Jan 11, 12 -> Jan 12, provisional
    assert opened.data["due_at"].startswith("2027-01-12T23:59:59")
    assert opened.data["due_provisional"] is True
    assert await recompute_objection_deadlines(deps) == 0
    deps.calendar.publish(  # type: ignore[attr-defined]
        YearSchedule(
            year=2027,
            source="test fixture, not an official schedule",
            off=tuple(sorted(statutory_holidays(2027) | {date(2027, 1, 4)})),
        )
    )
    assert await recompute_objection_deadlines(deps) == 1
    [changed] = deps.store.events("deadline.changed.v1")  # type: ignore[attr-defined]
    assert changed.data["kind"] == "objection"
    assert changed.data["stage_id"] == f"{opened.data['case_id']}:objection"
    assert changed.data["new_due_at"].startswith("2027-01-13T23:59:59")
    assert await recompute_objection_deadlines(deps) == 0
