"""The HTTP API over in-memory adapters: auth, versions, conflicts, the work list."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import jwt
import pytest

from services.approval.bootstrap import create_api
from services.approval.handlers import Deps, on_case_submitted
from shared.clock import FixedClock
from shared.contracts import ApplicantKind, Material, MaterialForm
from tests.support.tokens import EXPIRES_AT, officer_headers
from tests.unit.approval.approval_fakes import (
    DEPT,
    MONDAY_10,
    REGION,
    envelope_of,
    make_deps,
    submitted,
)


@pytest.fixture
def deps() -> Deps:
    return make_deps(FixedClock(MONDAY_10))


@pytest.fixture
async def client(deps: Deps) -> AsyncIterator[httpx.AsyncClient]:
    app = create_api(deps)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app), base_url="http://approval"
    ) as c:
        yield c


def token(
    deps: Deps, sub: str, *roles: str, department: str = DEPT, region: str = REGION
) -> dict[str, str]:
    return officer_headers(
        deps.settings,
        subject=sub,
        roles=list(roles),
        department=department,
        region=region,
    )


async def open_case(deps: Deps, case_id: str = "C1") -> None:
    data = submitted(case_id)
    await on_case_submitted(deps, envelope_of(data), data)


async def test_wrong_signature_is_401_and_missing_role_is_403(
    deps: Deps, client: httpx.AsyncClient
) -> None:
    await open_case(deps)
    forged = jwt.encode(
        {
            "sub": "h-1",
            "roles": ["handler"],
            "aud": "egov",
            "iss": "egov-dev",
            "exp": int(EXPIRES_AT.timestamp()),  # only the signature is wrong
        },
        "not-the-key-not-the-key-not-the-key",
        algorithm="HS256",
    )
    r = await client.post(
        "/v1/cases/C1/stages/prereview/sign-in",
        json={"version": 1},
        headers={"Authorization": f"Bearer {forged}"},
    )
    assert r.status_code == 401
    r = await client.post(
        "/v1/cases/C1/stages/prereview/sign-in",
        json={"version": 1},
        headers=token(deps, "x", "applicant"),
    )
    assert r.status_code == 403
    r = await client.post(
        "/v1/cases/C1/stages/prereview/sign-in",
        json={"version": 1},
        headers=token(deps, "r-1", "reviewer"),
    )
    assert r.status_code == 403 and "handler" in r.json()["detail"]


async def test_version_is_required_and_checked(deps: Deps, client: httpx.AsyncClient) -> None:
    await open_case(deps)
    h = token(deps, "h-1", "handler")
    r = await client.post("/v1/cases/C1/stages/prereview/sign-in", headers=h)
    assert r.status_code == 428 and r.json()["errors"][0]["field"] == "version"
    r = await client.post("/v1/cases/C1/stages/prereview/sign-in", headers={**h, "If-Match": '"1"'})
    assert r.status_code == 200 and r.headers["ETag"] == '"2"'
    r = await client.post("/v1/cases/C1/stages/prereview/pass", json={"version": 1}, headers=h)
    assert r.status_code == 409 and r.json()["current_version"] == 2


async def test_disallowed_action_is_409_listing_the_allowed_ones(
    deps: Deps, client: httpx.AsyncClient
) -> None:
    await open_case(deps)
    h = token(deps, "h-1", "handler")
    r = await client.post("/v1/cases/C1/stages/prereview/pass", json={"version": 1}, headers=h)
    assert r.status_code == 409 and r.json()["allowed_actions"] == ["sign-in"]
    r = await client.post("/v1/cases/C1/stages/prereview/fly", json={"version": 1}, headers=h)
    assert r.status_code == 422
    r = await client.post(
        "/v1/cases/C1/stages/prereview/sign-in", json={"version": "one"}, headers=h
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "version"
    r = await client.post("/v1/cases/NOPE/stages/prereview/sign-in", json={"version": 1}, headers=h)
    assert r.status_code == 404


async def test_refusal_without_legal_basis_is_422_with_the_field(
    deps: Deps, client: httpx.AsyncClient
) -> None:
    await open_case(deps)
    h = token(deps, "h-1", "handler")
    for version, path in enumerate(["prereview/sign-in", "prereview/pass", "accept/sign-in"], 1):
        r = await client.post(f"/v1/cases/C1/stages/{path}", json={"version": version}, headers=h)
        assert r.status_code == 200, r.text
    version = r.json()["version"]
    r = await client.post(
        "/v1/cases/C1/stages/accept/refuse",
        json={"version": version, "reasons": ["不予受理"]},
        headers=h,
    )
    assert r.status_code == 422 and r.json()["errors"] == [
        {"field": "legal_basis", "message": "a refusal or denial needs its legal basis"}
    ]


async def test_work_list_shows_light_time_left_and_paginates(
    deps: Deps, client: httpx.AsyncClient
) -> None:
    for i in range(3):
        await open_case(deps, f"C{i}")
    h = token(deps, "h-1", "handler")
    r = await client.get("/v1/tasks", params={"limit": 2}, headers=h)
    body = r.json()
    assert r.status_code == 200 and body["total"] == 3 and body["next_offset"] == 2
    first = body["items"][0]
    assert first["stage"] == "prereview" and first["light"] == "green"
    assert first["suspended"] is False and first["working_days_left"] > 2
    r = await client.get("/v1/tasks", params={"offset": 2}, headers=h)
    assert len(r.json()["items"]) == 1 and r.json()["next_offset"] is None
    other = token(deps, "z-1", "handler", department="500000-ZJW")
    assert (await client.get("/v1/tasks", headers=other)).json()["total"] == 0
    r = await client.get("/v1/tasks", params={"department": DEPT}, headers=other)
    assert r.status_code == 403
    assert isinstance(deps.clock, FixedClock)
    deps.clock.advance(timedelta(days=2, hours=6))  # Wednesday 16:00: yellow
    r = await client.get("/v1/tasks", params={"stage": "prereview"}, headers=h)
    assert {i["light"] for i in r.json()["items"]} == {"yellow"}
    deps.clock.advance(timedelta(days=1))
    r = await client.get("/v1/tasks", headers=h)
    assert {i["light"] for i in r.json()["items"]} == {"red"}
    mine = await client.get("/v1/tasks", params={"scope": "mine"}, headers=h)
    assert mine.json()["total"] == 0


async def test_case_view_hides_officer_levels_masks_a_person_and_lists_actions(
    deps: Deps, client: httpx.AsyncClient
) -> None:
    await open_case(deps)
    h = token(deps, "h-1", "handler")
    r = await client.get("/v1/cases/C1", headers=h)
    body = r.json()
    assert body["version"] == 1 and body["stages"][0]["allowed_actions"] == ["sign-in"]
    # Once an officer acted, the case records the level they acted at (分级审批): internal
    # bookkeeping that neither the case view nor an action's answer shows, nor the audit head.
    r = await client.post("/v1/cases/C1/stages/prereview/sign-in", json={"version": 1}, headers=h)
    assert r.status_code == 200, r.text
    stored = await deps.store.get("C1")
    assert stored is not None and stored.levels == {"h-1": "handler"} and stored.audit_head
    for shown in (r.json(), (await client.get("/v1/cases/C1", headers=h)).json()):
        assert "levels" not in shown and "audit_head" not in shown
        assert shown["stages"][0]["allowed_actions"] == ["pass", "fail", "request-supplements"]
    person = submitted("C2", kind=ApplicantKind.PERSON)
    await on_case_submitted(deps, envelope_of(person), person)
    r = await client.get("/v1/cases/C2", headers=h)
    assert r.json()["applicant"]["id_number"] == "1101**********002X"
    r = await client.get("/v1/cases/C1/timeline", headers=token(deps, "h-1", "handler"))
    assert [e["seq"] for e in r.json()["entries"]] == [1, 2, 3, 4]
    r = await client.get(
        "/v1/cases/C1", headers=token(deps, "z", "handler", department="500000-ZJW")
    )
    assert r.status_code == 404


async def test_work_list_flags_a_suspension_past_its_maximum(
    deps: Deps, client: httpx.AsyncClient
) -> None:
    await open_case(deps)
    h = token(deps, "h-1", "handler")
    for version, path in enumerate(["prereview/sign-in", "prereview/pass", "accept/sign-in"], 1):
        r = await client.post(f"/v1/cases/C1/stages/{path}", json={"version": version}, headers=h)
        assert r.status_code == 200, r.text
    r = await client.post(
        "/v1/cases/C1/stages/accept/suspend",
        json={
            "version": 4,
            "suspension_reason": "onsite_survey",
            "max_length": {"value": 1, "unit": "working_days"},
        },
        headers=h,
    )
    assert r.status_code == 200, r.text
    rows = (await client.get("/v1/tasks", params={"status": "suspended"}, headers=h)).json()
    [task] = rows["items"]
    assert task["suspended"] and task["suspension_overrun"] is False
    assert isinstance(deps.clock, FixedClock)
    deps.clock.advance(timedelta(days=3))
    rows = (await client.get("/v1/tasks", params={"status": "suspended"}, headers=h)).json()
    [task] = rows["items"]
    assert task["suspension_overrun"] is True and task["light"] == "green"


def test_build_wires_the_injected_clock_and_the_case_consumer() -> None:
    from services.approval.bootstrap import build
    from services.approval.settings import ApprovalSettings
    from shared.contracts import (
        CaseSubmitted,
        CaseSupplemented,
        LicenceIssued,
        OwedMaterialsSupplied,
    )

    clock = FixedClock(MONDAY_10)
    service = build(ApprovalSettings(consumer_group="g-test"), clock=clock)
    assert service.infra.clock is clock and service.deps.clock is clock
    assert service.consumer.group_id == "g-test"
    assert set(service.consumer.handlers) == {
        CaseSubmitted.event_type,
        CaseSupplemented.event_type,
        LicenceIssued.event_type,  # the licence's PDF joins the sealed dossier (issue 20)
        OwedMaterialsSupplied.event_type,  # accept-with-gaps: the owed material arrived
    }


PERSON_ID = "11010519491231002X"


async def test_the_case_view_masks_every_identifier_wherever_it_sits(
    deps: Deps, client: httpx.AsyncClient
) -> None:
    materials = [
        Material(code="id_card", form=MaterialForm.ELICENSE, licence_ref=f"RID-{PERSON_ID}"),
        Material(code="promise", form=MaterialForm.COMMITMENT, commitment_text="电话13800138000"),
    ]
    data = submitted("C9", kind=ApplicantKind.PERSON, materials=materials)
    await on_case_submitted(deps, envelope_of(data), data)
    r = await client.get("/v1/cases/C9", headers=token(deps, "h1", "handler"))
    assert r.status_code == 200, r.text
    assert PERSON_ID not in r.text and "13800138000" not in r.text
    refs = [m.get("licence_ref") for m in r.json()["materials"]]
    assert "RID-1101**********002X" in refs


@pytest.mark.parametrize(
    ("roles", "region", "department", "sees"),
    [
        (("supervisor",), REGION, "500000-JCJ", True),
        (("supervisor",), "510100", "510100-JCJ", False),
        (("inspector",), "510100", "510100-JW", False),
        (("inspector",), REGION, "500000-JW", True),
        (("admin",), "510100", "510100-X", True),
        (("handler",), REGION, "500000-GAJ", False),
    ],
)
async def test_oversight_reads_cases_of_its_own_region_as_its_work_list(
    deps: Deps,
    client: httpx.AsyncClient,
    roles: tuple[str, ...],
    region: str,
    department: str,
    sees: bool,
) -> None:
    await open_case(deps, "C8")
    headers = token(deps, "o9", *roles, department=department, region=region)
    for path in ("/v1/cases/C8", "/v1/cases/C8/timeline"):
        r = await client.get(path, headers=headers)
        assert r.status_code == (200 if sees else 404), (path, r.text)
