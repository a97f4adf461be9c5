"""Catalog changes are chained with who made them (issue 18): an admin's create, update and
close, and the start-up load of the catalog files, each a keyed entry naming the actor and what
changed; `egov audit verify --chain intake.catalog` reports a rewritten entry or an item edited
in the database without one as the chain's first broken link."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from services.cli import app
from services.intake.domain import ItemStatus
from services.intake.handlers.catalog import CATALOG_CHAIN, ITEMS
from services.intake.handlers.definitions import view
from shared.audit import ChainHead, verify
from shared.audit import cli as audit_cli
from shared.audit.admin import AdminChains
from shared.audit.report import ChainSource
from shared.contracts import AuditCheckpoint
from shared.settings import ServiceSettings
from tests.support.tokens import lasting_token
from tests.unit.intake.intake_fakes import Wiring
from tests.unit.intake.test_intake_catalog import variant

CODE = "500000-SCJ-099"


async def an_item_created_renamed_and_closed(w: Wiring) -> None:
    new = variant(code=CODE, name="测试事项").model_dump(mode="json")
    token = lasting_token(w.settings, subject="admin-1", roles=["admin"])
    admin = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(w.app()), base_url="http://t") as c:
        assert (await c.post("/v1/catalog/items", json=new, headers=admin)).status_code == 201
        renamed = {**new, "name": "改名"}
        r = await c.put(f"/v1/catalog/items/{CODE}", json=renamed, headers=admin)
        assert r.status_code == 200, r.text
        assert (await c.post(f"/v1/catalog/items/{CODE}/close", headers=admin)).status_code == 200
        invalid = {**new, "stage_plan": []}  # refused: not changed, not chained
        r = await c.put(f"/v1/catalog/items/{CODE}", json=invalid, headers=admin)
        assert r.status_code == 422


def source(w: Wiring) -> AdminChains:
    async def current(code: str) -> dict[str, Any] | None:
        return None if code not in w.store.items else dict(view(w.store.items[code]) or {})

    async def every() -> list[str]:
        return sorted(w.store.items)

    return AdminChains(w.changes, CATALOG_CHAIN, "catalog item", current, every)


async def test_each_admin_change_is_linked_with_its_actor_and_what_changed() -> None:
    w = Wiring()
    await an_item_created_renamed_and_closed(w)
    entries = await w.changes.entries(CATALOG_CHAIN, CODE)
    assert [(e["seq"], e["action"], e["actor"], e["roles"]) for e in entries] == [
        (1, "created", "admin-1", ["admin"]),
        (2, "updated", "admin-1", ["admin"]),
        (3, "closed", "admin-1", ["admin"]),
    ]
    assert entries[0]["changes"]["name"] == {"from": None, "to": "测试事项"}
    assert entries[1]["changes"]["name"] == {"from": "测试事项", "to": "改名"}
    assert entries[2]["changes"]["status"] == {"from": "open", "to": "closed"}
    head = await w.changes.stored_head(CATALOG_CHAIN, CODE)
    keys = w.deps.audit_keys
    assert verify(entries, keys=keys, scope=CATALOG_CHAIN, chain_id=CODE, head=head) is None
    assert [(c.chain, c.chain_id, c.count) for c in w.changes.checkpoints] == [
        (CATALOG_CHAIN, CODE, n) for n in (1, 2, 3)
    ]


async def test_the_start_up_load_is_chained_as_the_catalog_files() -> None:
    w = Wiring()
    w.store.items.clear()
    assert await ITEMS.load(w.deps) > 0
    assert await ITEMS.load(w.deps) == 0  # nothing newer: nothing written, nothing chained
    ids = await w.changes.chain_ids(CATALOG_CHAIN)
    assert ids == sorted(w.store.items)
    [entry] = await w.changes.entries(CATALOG_CHAIN, ids[0])
    assert (entry["action"], entry["actor"], entry["roles"]) == (
        "loaded",
        "intake (catalog files)",
        ["system"],
    )


@pytest.fixture
def wired(monkeypatch: pytest.MonkeyPatch) -> Wiring:
    """An item with three changes, and `egov audit verify` reading this wiring's chains and
    the checkpoints its outbox would publish."""
    w = Wiring()
    asyncio.run(an_item_created_renamed_and_closed(w))

    @asynccontextmanager
    async def open_catalog() -> AsyncIterator[ChainSource]:
        yield source(w)

    async def read_bus(_settings: ServiceSettings) -> tuple[list[AuditCheckpoint], list[str]]:
        return list(w.changes.checkpoints), []

    assert CATALOG_CHAIN in audit_cli.SOURCES  # registered by intake's cli.py
    monkeypatch.setattr(audit_cli, "SOURCES", {CATALOG_CHAIN: open_catalog})
    monkeypatch.setattr(audit_cli, "read_bus", read_bus)
    return w


def run(*args: str) -> Any:
    return CliRunner().invoke(app, ["audit", "verify", "--chain", CATALOG_CHAIN, *args])


def test_items_stored_without_a_chain_are_reported_until_an_operator_adopts_them(
    wired: Wiring,
) -> None:
    # The Wiring's catalog was put in the store directly, as items stored before chaining were
    # (or as an insider would insert one).
    result = run("500000-SCJ-001")
    assert result.exit_code == 1
    assert result.output.startswith(
        "catalog item 500000-SCJ-001: BROKEN at entry 1 (index 0): the stored catalog item has "
        "no audit entry: written in the database without one"
    )
    env = {"EGOV_KAFKA_SASL_USERNAME": "egov-operator"}
    adopt = ["audit", "adopt", "--chain", CATALOG_CHAIN]
    result = CliRunner().invoke(app, adopt, env=env)
    assert result.exit_code == 0, result.output
    assert f"{CATALOG_CHAIN} 500000-SCJ-001: adopted" in result.stdout
    assert f"{CATALOG_CHAIN} {CODE}: adopted" not in result.stdout  # it has its chain
    [entry] = asyncio.run(wired.changes.entries(CATALOG_CHAIN, "500000-SCJ-001"))
    assert (entry["action"], entry["actor"], entry["roles"]) == (
        "adopted",
        "egov-operator",
        ["operator"],
    )
    result = run("--all", "--bus")
    assert result.exit_code == 0, result.output
    assert CliRunner().invoke(app, adopt, env=env).stdout == ""  # nothing left to adopt


def test_an_untouched_item_verifies_against_its_head_and_the_bus(wired: Wiring) -> None:
    result = run(CODE, "--bus")
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"catalog item {CODE}: OK (3 entries, head ")
    assert "agrees with 3 on the bus" in result.output


def test_a_rewritten_actor_is_reported_as_the_first_broken_link(wired: Wiring) -> None:
    wired.changes.tamper(CATALOG_CHAIN, CODE, 1, actor="someone-else")
    result = run(CODE)
    assert result.exit_code == 1
    first, second = result.output.splitlines()
    assert first == (
        f"catalog item {CODE}: BROKEN at entry 2 (index 1): content does not match its keyed "
        "hash (altered, or hashed without the audit key)"
    )
    assert '"actor": "someone-else"' in second


def test_an_item_edited_in_the_database_without_an_entry_is_reported(wired: Wiring) -> None:
    item = wired.store.items[CODE]
    # reopened quietly
    wired.store.items[CODE] = item.model_copy(update={"status": ItemStatus.OPEN})
    result = run(CODE)
    assert result.exit_code == 1
    assert result.output.startswith(
        f"catalog item {CODE}: BROKEN at entry 3 (index 2): the stored catalog item differs "
        "from what entry 3 recorded: changed in the database without an audit entry"
    )


async def test_a_change_that_lost_the_race_for_the_chain_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    w = Wiring()
    await an_item_created_renamed_and_closed(w)

    async def stale_head(chain: str, chain_id: str) -> ChainHead:
        return ChainHead.start(chain, chain_id)  # read before another admin's change landed

    monkeypatch.setattr(w.changes, "head", stale_head)
    reopened = w.store.items[CODE].model_copy(update={"status": ItemStatus.OPEN})
    token = lasting_token(w.settings, subject="admin-2", roles=["admin"])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(w.app()), base_url="http://t") as c:
        r = await c.put(
            f"/v1/catalog/items/{CODE}",
            json=reopened.model_dump(mode="json"),
            headers={"Authorization": f"Bearer {token}"},
        )
    assert r.status_code == 409 and "changed meanwhile" in r.json()["detail"]
    assert w.store.items[CODE].status == ItemStatus.CLOSED  # nothing written
