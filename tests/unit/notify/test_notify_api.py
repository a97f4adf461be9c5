"""The HTTP API over in-memory stores: inbox (with masking), directory admin, subscriptions."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

import tests.unit.notify.notify_samples as s
from services.notify.bootstrap import create_api
from services.notify.channels import InboxChannel
from services.notify.domain import ChannelName
from services.notify.settings import NotifySettings
from tests.support.tokens import officer_headers
from tests.unit.notify.notify_fakes import MemoryInbox
from tests.unit.notify.notify_world import NOON, World

APPLICANT = s.applicant_id()


@pytest.fixture
async def api(
    world: World, settings: NotifySettings
) -> AsyncIterator[tuple[httpx.AsyncClient, MemoryInbox]]:
    inbox = world.inbox
    world.deps.dispatcher.channels[ChannelName.INBOX] = InboxChannel(inbox, world.clock)
    app = create_api(world.deps)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as c:
        yield c, inbox


def auth(
    settings: NotifySettings, sub: str, *roles: str, department: str | None = None
) -> dict[str, str]:
    return officer_headers(settings, subject=sub, roles=list(roles), department=department)


async def test_applicant_reads_and_marks_their_inbox(
    world: World, api: tuple[httpx.AsyncClient, MemoryInbox], settings: NotifySettings
) -> None:
    client, _ = api
    await world.handle(s.envelope(s.case_submitted("C1", NOON), NOON))
    me = auth(settings, APPLICANT, "applicant")
    items = (await client.get("/v1/inbox", headers=me)).json()
    assert [(i["case_id"], i["template"], i["masked"]) for i in items] == [
        ("C1", "case_received", False)
    ]
    assert "张三" in items[0]["body"]
    assert (await client.post(f"/v1/inbox/{items[0]['id']}/read", headers=me)).status_code == 204
    assert (await client.get("/v1/inbox?unread_only=true", headers=me)).json() == []
    other = auth(settings, s.applicant_id(9), "applicant")
    assert (await client.get("/v1/inbox", headers=other)).json() == []
    assert (await client.post(f"/v1/inbox/{items[0]['id']}/read", headers=other)).status_code == 404
    assert (await client.get("/v1/inbox")).status_code == 401


async def test_staff_without_the_role_see_personal_data_masked(
    world: World, api: tuple[httpx.AsyncClient, MemoryInbox], settings: NotifySettings
) -> None:
    client, inbox = api
    await world.handle(s.envelope(s.case_submitted("C1", NOON, name="张三丰"), NOON))
    item = next(iter(inbox.items.values()))
    # The same message in an officer's inbox (e.g. a task naming the applicant).
    await inbox.add(
        item
        | {"_id": "x1", "owner": "cq-scj-s01", "body": f"申请人张三丰 {APPLICANT} 电话 13912345678"}
    )
    await inbox.add(
        item
        | {"_id": "x2", "owner": "cq-scj-h01", "body": f"申请人张三丰 {APPLICANT} 电话 13912345678"}
    )
    supervisor = (
        await client.get("/v1/inbox", headers=auth(settings, "cq-scj-s01", "supervisor"))
    ).json()
    assert supervisor[0]["masked"] is True
    body = supervisor[0]["body"]
    assert "张三丰" not in body and APPLICANT not in body and "13912345678" not in body
    handler = (
        await client.get("/v1/inbox", headers=auth(settings, "cq-scj-h01", "handler"))
    ).json()
    assert handler[0]["masked"] is False and "张三丰" in handler[0]["body"]


async def test_directory_admin_api(
    world: World, api: tuple[httpx.AsyncClient, MemoryInbox], settings: NotifySettings
) -> None:
    client, _ = api
    admin = auth(settings, "root", "admin")
    body = {
        "name": "新人",
        "department": "500000-SCJ",
        "roles": ["handler"],
        "email": "new@scj.example.cn",
    }
    assert (
        await client.put(
            "/v1/directory/officers/cq-new", json=body, headers=auth(settings, "x", "handler")
        )
    ).status_code == 403
    assert (
        await client.put("/v1/directory/officers/cq-new", json=body, headers=admin)
    ).status_code == 200
    assert "cq-new" in {
        o.id for o in await world.directory.officers(role="handler", department="500000-SCJ")
    }
    bad = await client.put(
        "/v1/directory/officers/cq-bad",
        headers=admin,
        json=body | {"department": "999999-XX", "roles": ["boss"]},
    )
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"department", "roles"}
    listing = (await client.get("/v1/directory?department=500000-SCJ", headers=admin)).json()
    assert listing["version"] == "2026.2" and len(listing["officers"]) >= 9
    assert (await client.delete("/v1/directory/officers/cq-new", headers=admin)).status_code == 204
    assert (await client.delete("/v1/directory/officers/cq-new", headers=admin)).status_code == 404


async def test_directory_api_refuses_bad_contacts_naming_the_field(
    api: tuple[httpx.AsyncClient, MemoryInbox], settings: NotifySettings, world: World
) -> None:
    client, _ = api
    admin = auth(settings, "root", "admin")
    body = {"name": "新人", "department": "500000-SCJ", "roles": ["handler"]}
    for email, phone in [
        ("new@scj..cn", "13800000"),
        ("new scj@example.cn", "+14155550123"),
        ("new@localhost", "12345678901"),
    ]:
        bad = await client.put(
            "/v1/directory/officers/cq-new",
            headers=admin,
            json=body | {"email": email, "phone": phone},
        )
        assert bad.status_code == 422, (email, phone, bad.text)
        assert {e["field"] for e in bad.json()["errors"]} == {"email", "phone"}
    assert await world.directory.get_officer("cq-new") is None
    good = await client.put(
        "/v1/directory/officers/cq-new",
        headers=admin,
        json=body | {"email": "new@scj.example.cn", "phone": "+86 139 1234 5678"},
    )
    assert good.status_code == 200, good.text
    assert good.json()["phone"] == "13912345678"
