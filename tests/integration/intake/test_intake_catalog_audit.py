"""Catalog changes chained on the real database and broker (issue 18): an admin's create,
update and close of an item each write their keyed entry in the item's transaction and a signed
checkpoint through the outbox; `egov audit verify --chain intake.catalog --bus` agrees with the
bus, and names the entry an insider rewrote in MongoDB as the first broken link."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from pymongo import AsyncMongoClient
from typer.testing import CliRunner

from shared.contracts import AuditCheckpoint
from tests.integration.intake.test_intake_stack import (  # noqa: F401 - stack: the fixture
    Stack,
    admin_headers,
    envelope_of,
    stack,
)

pytestmark = pytest.mark.integration


def checkpoint_of(code: str) -> Any:
    def match(record: Any) -> bool:
        try:
            env = envelope_of(record)
        except ValueError:
            return False
        return env.type == AuditCheckpoint.event_type and env.subject == code

    return match


async def test_catalog_changes_are_chained_checkpointed_and_verified(stack: Stack) -> None:  # noqa: F811
    base = (await stack.http.get("/v1/catalog/items/500000-SCJ-003")).json()
    code = f"500000-SCJ-{uuid.uuid4().int % 900 + 100}"
    new = {**base, "code": code, "name": "审计测试事项"}
    admin = admin_headers(stack)
    assert (await stack.http.post("/v1/catalog/items", json=new, headers=admin)).status_code == 201
    renamed = {**new, "name": "审计测试事项（改）"}
    r = await stack.http.put(f"/v1/catalog/items/{code}", json=renamed, headers=admin)
    assert r.status_code == 200, r.text
    r = await stack.http.post(f"/v1/catalog/items/{code}/close", headers=admin)
    assert r.status_code == 200
    published = await stack.read("egov.audit.checkpoints", checkpoint_of(code), expect=3)
    assert sorted(envelope_of(r).data["count"] for r in published) == [1, 2, 3]

    from services.cli import app

    settings = stack.service.settings
    env = {
        "EGOV_MONGO_URI": settings.mongo_uri,
        "EGOV_MONGO_DB": settings.database_name,
        "EGOV_KAFKA_BOOTSTRAP": stack.bootstrap,
    }
    command = ["audit", "verify", "--chain", "intake.catalog", code, "--bus"]
    runner = CliRunner()
    result = await asyncio.to_thread(runner.invoke, app, command, env=env)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"catalog item {code}: OK (3 entries, head ")
    assert "agrees with 3 on the bus" in result.output

    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(settings.mongo_uri)
    try:
        changes = mongo[settings.database_name]["admin_changes"]
        stored = await changes.find_one({"_id": f"intake.catalog/{code}"})
        assert stored is not None
        assert [(e["action"], e["actor"]) for e in stored["entries"]] == [
            ("created", "admin-it"),
            ("updated", "admin-it"),
            ("closed", "admin-it"),
        ]
        await changes.update_one(
            {"_id": stored["_id"]}, {"$set": {"entries.1.actor": "someone-else"}}
        )
    finally:
        await mongo.close()
    result = await asyncio.to_thread(runner.invoke, app, command[:-1], env=env)
    assert result.exit_code == 1
    assert result.output.startswith(
        f"catalog item {code}: BROKEN at entry 2 (index 1): content does not match its keyed hash"
    )
