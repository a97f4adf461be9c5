"""Admin changes of notify are chained with who made them (issue 18): the officer directory
(admin API and the directory file), webhook integrators and subscriptions, each a keyed entry
naming the principal and what changed (secrets by id only), checkpointed; tampering with an
entry is reported as the chain's first broken link."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from services.notify.handlers.admin import (
    DIRECTORY_CHAIN,
    INTEGRATORS_CHAIN,
    WEBHOOKS_CHAIN,
    officer_view,
    subscription_view,
)
from services.notify.settings import NotifySettings
from shared.audit import ChainHead, verify
from shared.audit.admin import AdminChains, View
from shared.audit.report import audit_chain
from tests.unit.notify.notify_world import World
from tests.unit.notify.test_notify_webhooks import DECIDED, Api, make_api

OFFICER = {"name": "临时", "department": "500000-SCJ", "roles": ["handler"]}


@pytest.fixture
async def api(settings: NotifySettings) -> AsyncIterator[Api]:
    async for made in make_api(settings):
        yield made


async def steps(world: World, chain: str, chain_id: str) -> list[tuple[str, str, list[str]]]:
    entries = await world.changes.entries(chain, chain_id)
    head = await world.changes.stored_head(chain, chain_id)
    keys = world.chaining.keys
    assert verify(entries, keys=keys, scope=chain, chain_id=chain_id, head=head) is None
    return [(e["action"], e["actor"], e["roles"]) for e in entries]


async def test_directory_changes_by_an_admin_are_chained_with_the_admin(api: Api) -> None:
    admin = api.auth("root", "admin")
    path = "/v1/directory/officers/cq-new"
    assert (await api.client.put(path, json=OFFICER, headers=admin)).status_code == 200
    assert (await api.client.put(path, json=OFFICER, headers=admin)).status_code == 200  # same
    moved = OFFICER | {"department": "500000-SWJ"}
    assert (await api.client.put(path, json=moved, headers=admin)).status_code == 200
    assert (await api.client.delete(path, headers=admin)).status_code == 204
    world = api.world
    assert await steps(world, DIRECTORY_CHAIN, "cq-new") == [
        ("created", "root", ["admin"]),
        ("updated", "root", ["admin"]),  # the repeated put changed nothing: not chained
        ("removed", "root", ["admin"]),
    ]
    updated = (await world.changes.entries(DIRECTORY_CHAIN, "cq-new"))[1]
    assert updated["changes"] == {"department": {"from": "500000-SCJ", "to": "500000-SWJ"}}
    counts = [c.count for c in world.changes.checkpoints if c.chain_id == "cq-new"]
    assert counts == [1, 2, 3]


async def test_the_directory_file_is_chained_as_the_file(world: World) -> None:
    officer = (await world.directory.all_officers())[0]
    entries = await world.changes.entries(DIRECTORY_CHAIN, officer.id)
    version = await world.directory.version()
    assert [(e["action"], e["actor"]) for e in entries] == [
        ("created", f"notify (directory file {version})")
    ]


async def test_webhook_changes_are_chained_and_secrets_recorded_by_id_only(api: Api) -> None:
    assert (await api.register("tax-system", [DECIDED], ["500000"])).status_code == 200
    sub = (await api.subscribe("tax-system")).json()
    path = f"/v1/webhooks/{sub['id']}"
    tax = api.auth("tax-system", "system")
    added = (await api.client.post(f"{path}/secrets", headers=tax)).json()
    retired = sub["secrets"][0]["id"]
    assert (await api.client.delete(f"{path}/secrets/{retired}", headers=tax)).status_code == 204
    assert (await api.client.delete(path, headers=tax)).status_code == 204
    r = await api.client.delete(
        "/v1/webhook-integrators/tax-system", headers=api.auth("root", "admin")
    )
    assert r.status_code == 204
    world = api.world
    assert await steps(world, INTEGRATORS_CHAIN, "tax-system") == [
        ("registered", "root", ["admin"]),
        ("deregistered", "root", ["admin"]),
    ]
    assert await steps(world, WEBHOOKS_CHAIN, sub["id"]) == [
        ("created", "tax-system", ["system"]),
        ("secret added", "tax-system", ["system"]),
        ("secret retired", "tax-system", ["system"]),
        ("removed", "tax-system", ["system"]),
    ]
    entries = await world.changes.entries(WEBHOOKS_CHAIN, sub["id"])
    assert entries[1]["changes"]["secrets"] == {"from": [retired], "to": [retired, added["id"]]}
    recorded = json.dumps(entries)
    assert sub["secret"] not in recorded and added["secret"] not in recorded


async def test_a_tampered_webhook_entry_is_the_first_broken_link(api: Api) -> None:
    assert (await api.register("tax-system", [DECIDED], ["500000"])).status_code == 200
    sub = (await api.subscribe("tax-system")).json()
    tax = api.auth("tax-system", "system")
    await api.client.post(f"/v1/webhooks/{sub['id']}/secrets", headers=tax)
    world = api.world

    async def current(subscription_id: str) -> View | None:
        return subscription_view(await world.subscriptions.get(subscription_id))

    async def every() -> list[str]:
        return sorted(world.subscriptions.items)

    source = AdminChains(world.changes, WEBHOOKS_CHAIN, "webhook subscription", current, every)
    keys, bus = world.chaining.keys, world.changes.checkpoints
    report = await audit_chain(source, sub["id"], keys=keys, bus=bus)
    assert report is not None and report.broken is None and report.checkpoints == 2
    # the entry made to say an admin, not the integrator, created the subscription
    world.changes.tamper(WEBHOOKS_CHAIN, sub["id"], 0, actor="root", roles=["admin"])
    report = await audit_chain(source, sub["id"], keys=keys, bus=bus)
    assert report is not None and report.broken is not None
    assert report.lines()[0] == (
        f"webhook subscription {sub['id']}: BROKEN at entry 1 (index 0): content does not match "
        "its keyed hash (altered, or hashed without the audit key)"
    )


async def test_an_officer_edited_in_the_database_is_reported(world: World) -> None:
    officer = (await world.directory.all_officers())[0]
    world.directory.items[officer.id] = officer.model_copy(update={"roles": ["admin"]})

    async def current(officer_id: str) -> View | None:
        return officer_view(await world.directory.get_officer(officer_id))

    async def every() -> list[str]:
        return sorted(world.directory.items)

    source = AdminChains(world.changes, DIRECTORY_CHAIN, "officer", current, every)
    report = await audit_chain(source, officer.id, keys=world.chaining.keys)
    assert report is not None and report.broken is not None
    assert "the stored officer differs from what entry 1 recorded" in report.broken.reason


async def test_a_change_that_lost_the_race_for_the_chain_is_refused(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = api.auth("root", "admin")
    path = "/v1/directory/officers/cq-new"
    assert (await api.client.put(path, json=OFFICER, headers=admin)).status_code == 200

    async def stale_head(chain: str, chain_id: str) -> ChainHead:
        return ChainHead.start(chain, chain_id)  # read before the other admin's change landed

    monkeypatch.setattr(api.world.changes, "head", stale_head)
    moved = OFFICER | {"department": "500000-SWJ"}
    r = await api.client.put(path, json=moved, headers=admin)
    assert r.status_code == 409 and "changed meanwhile" in r.json()["detail"]
    officer = await api.world.directory.get_officer("cq-new")
    assert officer is not None and officer.department == "500000-SCJ"  # nothing written
