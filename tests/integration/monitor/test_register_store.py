"""The register's batch writes on the real database: a batch inserts what is new in one call,
and records stored before (a batch handed over again) are kept, not an error."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from services.monitor.register_store import MongoRegister
from shared.clock import SHANGHAI

pytestmark = pytest.mark.integration
AT = datetime(2026, 3, 2, 10, tzinfo=SHANGHAI)


@pytest.fixture
async def register(mongo_uri: str, unique_id: str) -> AsyncIterator[MongoRegister]:
    client: AsyncMongoClient[Any] = AsyncMongoClient(mongo_uri, tz_aware=True)
    store = MongoRegister(client[f"register_{unique_id[:12]}"])
    await store.ensure_indexes()
    yield store
    await client.close()


def rec(rid: str, state: str = "open") -> dict[str, Any]:
    return {"_id": rid, "state": state, "department": "D1", "at": AT, "kind": "finding"}


async def test_a_batch_inserts_the_new_and_keeps_what_was_stored(register: MongoRegister) -> None:
    await register.add_many([rec("R1", state="answered")])
    assert await register.known(["R1", "R2", "R3"]) == {"R1"}
    await register.add_many([rec("R1"), rec("R2"), rec("R3")])  # R1 again: not an error
    assert await register.known(["R1", "R2", "R3"]) == {"R1", "R2", "R3"}
    first = await register.get("R1")
    assert first is not None and first["state"] == "answered"  # the stored record kept
