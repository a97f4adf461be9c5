"""MongoDB adapter of the catalog's versioned definitions: the write rules items and bundles
share (a definition stored under its code, replaced only over the version it was read at, open
ones listed unless closed ones are asked for), and the items' collection with its cache. An item
is written in the transaction that chains its change, with the catalog event that puts it on the
bus (``egov.catalog``, through the outbox)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from services.intake.domain import ServiceItem
from services.intake.ports import Definition
from shared.contracts import Envelope
from shared.errors import DuplicateKey
from shared.mongo import Document
from shared.mongo.outbox import Outbox


def strip_id(doc: Document) -> Document:
    return {k: v for k, v in doc.items() if k != "_id"}


def listing(query: Document, *, include_closed: bool) -> Document:
    """``query`` narrowed to open definitions unless closed ones are asked for."""
    return query if include_closed else {**query, "status": "open"}


async def insert_definition(
    collection: AsyncCollection[Document], definition: Definition, *, session: Any
) -> None:
    """Raises DuplicateKey when the code exists."""
    try:
        await collection.insert_one(
            {"_id": definition.code, **definition.model_dump(mode="json")}, session=session
        )
    except DuplicateKeyError as exc:
        raise DuplicateKey(definition.code) from exc


async def replace_definition(
    collection: AsyncCollection[Document],
    definition: Definition,
    *,
    expected_version: int,
    session: Any,
) -> bool:
    """False when the stored definition is no longer at ``expected_version``."""
    result = await collection.replace_one(
        {"_id": definition.code, "version": expected_version},
        {"_id": definition.code, **definition.model_dump(mode="json")},
        session=session,
    )
    return result.matched_count == 1


class MongoItemCatalog:
    """The service items (``items``). Items are read on every submission and change rarely;
    another replica's admin edit is seen after at most ``item_cache_s``."""

    items: AsyncCollection[Document]
    outbox: Outbox
    item_cache_s: float
    _item_cache: dict[str, tuple[float, ServiceItem | None]]

    async def get_item(self, code: str) -> ServiceItem | None:
        cached = self._item_cache.get(code)
        if cached is not None and time.monotonic() - cached[0] < self.item_cache_s:
            return cached[1]
        doc = await self.items.find_one({"_id": code})
        item = None if doc is None else ServiceItem.model_validate(strip_id(doc))
        if len(self._item_cache) > 10_000:  # unknown codes must not grow it without bound
            self._item_cache.clear()
        self._item_cache[code] = (time.monotonic(), item)
        return item

    async def list_items(
        self, *, region: str | None, department: str | None, include_closed: bool
    ) -> list[ServiceItem]:
        query: Document = {}
        if region:
            query["region"] = region
        if department:
            query["department"] = department
        found = self.items.find(listing(query, include_closed=include_closed))
        docs = await found.sort("_id", ASCENDING).to_list(None)
        return [ServiceItem.model_validate(strip_id(d)) for d in docs]

    async def stored_item(self, code: str) -> Document | None:
        """The item as stored, uncached and unvalidated (`egov audit verify`)."""
        doc = await self.items.find_one({"_id": code})
        return None if doc is None else strip_id(doc)

    async def item_codes(self) -> list[str]:
        return sorted(str(i) for i in await self.items.distinct("_id"))

    async def insert_item(
        self, item: ServiceItem, *, session: Any = None, events: Sequence[Envelope] = ()
    ) -> None:
        self._item_cache.pop(item.code, None)
        await insert_definition(self.items, item, session=session)
        await self.outbox.add(events, session=session)

    async def replace_item(
        self,
        item: ServiceItem,
        *,
        expected_version: int,
        session: Any = None,
        events: Sequence[Envelope] = (),
    ) -> bool:
        self._item_cache.pop(item.code, None)
        replaced = await replace_definition(
            self.items, item, expected_version=expected_version, session=session
        )
        if replaced:
            await self.outbox.add(events, session=session)
        return replaced

    async def publish(self, events: Sequence[Envelope]) -> None:
        """Queue events on the outbox alone (the whole catalog again: ids already queued are
        skipped)."""
        await self.outbox.add(events, session=None)
