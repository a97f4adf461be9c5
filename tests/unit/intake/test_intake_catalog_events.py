"""The catalog on the bus: every item change publishes the item as it now is, and the whole
catalog is published once more at start-up without a duplicate."""

from __future__ import annotations

import httpx

from services.intake.handlers.catalog import ITEMS
from services.intake.handlers.catalog_events import publish_catalog
from shared.contracts import T_CATALOG, CatalogItemChanged, topic_for
from tests.support.tokens import lasting_token
from tests.unit.intake.intake_fakes import Wiring
from tests.unit.intake.test_intake_catalog import variant


def published(w: Wiring) -> list[CatalogItemChanged]:
    return [
        CatalogItemChanged.model_validate(e.data)
        for e in w.store.events_of(CatalogItemChanged.event_type)
    ]


async def test_creating_changing_and_closing_an_item_publishes_each_version() -> None:
    w = Wiring()
    admin = {"Authorization": "Bearer " + lasting_token(w.settings, subject="a", roles=["admin"])}
    new = variant(code="500000-SCJ-099", fully_online=False, visits_required=2)
    body = new.model_dump(mode="json")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(w.app()), base_url="http://t") as c:
        assert (await c.post("/v1/catalog/items", json=body, headers=admin)).status_code == 201
        assert (await c.post("/v1/catalog/items", json=body, headers=admin)).status_code == 409
        online = {**body, "fully_online": True, "visits_required": 0}
        url = "/v1/catalog/items/500000-SCJ-099"
        assert (await c.put(url, json=online, headers=admin)).status_code == 200
        assert (await c.post(f"{url}/close", headers=admin)).status_code == 200
    got = [(e.version, e.fully_online, e.visits_required, e.status) for e in published(w)]
    assert got == [(1, False, 2, "open"), (2, True, 0, "open"), (3, True, 0, "closed")]
    first = w.store.events_of(CatalogItemChanged.event_type)[0]
    assert first.subject == "500000-SCJ-099" and topic_for(first.type) == T_CATALOG
    assert {e.department for e in published(w)} == {new.department}


async def test_the_whole_catalog_is_published_once_however_often_intake_starts() -> None:
    w = Wiring()
    w.store.items.clear()
    await ITEMS.load(w.deps)  # start-up: each file item written with its event
    loaded = len(published(w))
    assert loaded == len(w.store.items) > 20
    await publish_catalog(w.deps)
    await publish_catalog(w.deps)  # a second start, or a second replica
    assert len(published(w)) == loaded
    codes = {e.item_code for e in published(w)}
    assert codes == set(w.store.items)
    scj = next(e for e in published(w) if e.item_code == "500000-SCJ-001")
    assert scj.fully_online and scj.visits_required == 0


async def test_publishing_the_catalog_covers_items_loaded_before_it_was_on_the_bus() -> None:
    w = Wiring()  # items already stored (as by an older intake), nothing published yet
    assert published(w) == []
    assert await publish_catalog(w.deps) == len(w.store.items)
    assert {e.item_code for e in published(w)} == set(w.store.items)
    assert w.woken == 1  # the outbox relay is told at once
