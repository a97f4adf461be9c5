"""Parked events on the real database: registering a case reads them only when its contact
document is flagged (issue 22: no read of parked events for the usual case.submitted)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from pymongo import AsyncMongoClient

import tests.unit.notify.notify_samples as s
from services.notify.store import MongoProjections
from tests.unit.notify.notify_world import NOON

pytestmark = pytest.mark.integration


@pytest.fixture
async def projections(mongo_uri: str, unique_id: str) -> AsyncIterator[MongoProjections]:
    client: AsyncMongoClient[Any] = AsyncMongoClient(mongo_uri)
    store = MongoProjections(client[f"notify_proj_{unique_id[:12]}"], timedelta(days=1))
    await store.ensure_indexes()
    yield store
    await client.close()


def contacts(case_id: str) -> dict[str, Any]:
    return {
        "_id": case_id,
        "applicant_id": s.applicant_id(),
        "applicant_name": "张三",
        "applicant_kind": "person",
        "submitted_at": NOON,
    }


async def test_a_case_is_flagged_while_events_wait_for_it(projections: MongoProjections) -> None:
    early = s.envelope(s.prereview_done("C1", NOON), NOON)
    await projections.park("C1", early, NOON)
    assert await projections.get_case("C1") is None  # the flag alone is no case
    assert await projections.save_case(contacts("C1")) is True
    assert (await projections.get_case("C1") or {}).get("applicant_name") == "张三"
    assert [e.id for e in await projections.parked_events("C1")] == [early.id]
    # not dropped yet (a handler failed, say): still parked, still flagged
    assert await projections.save_case(contacts("C1")) is True
    await projections.drop_parked("C1", [early.id])
    assert await projections.save_case(contacts("C1")) is False  # the event handled
    assert await projections.parked_events("C1") == []


async def test_a_case_nothing_waited_for_is_not_flagged(projections: MongoProjections) -> None:
    assert await projections.save_case(contacts("C2")) is False
    assert await projections.get_case("C2") is not None
