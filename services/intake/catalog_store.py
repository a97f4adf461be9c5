"""MongoDB adapter of the service catalog (``items``, one document per item code), mixed into
MongoIntakeStore: an item is written in the transaction that chains its change, with the
catalog event that puts it on the bus (``egov.catalog``, through the outbox)."""

from __future__ import annotations

import time
from collections.abc import Sequence

from pymongo import ASCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from services.intake.domain import ServiceItem
from services.intake.ports import DuplicateKey
from shared.contracts import Envelope
from shared.mongo import Document
from shared.mongo.outbox import Outbox

Session = AsyncClientSession | None


def _strip(doc: Document) -> Document:
    return {k: v for k, v in doc.items() if k != "_id"}


class MongoCatalog:
    items: AsyncCollection[Document]
    outbox: Outbox
    # Items are read on every submission and change rarely; another replica's admin edit
    # is seen after at most ``item_cache_s``.
    item_cache_s: float
    _item_cache: dict[str, tuple[float, ServiceItem | None]]

    async def get_item(self, code: str) -> ServiceItem | None:
        cached = self._item_cache.get(code)
        if cached is not None and time.monotonic() - cached[0] < self.item_cache_s:
            return cached[1]
        doc = await self.items.find_one({"_id": code})
        item = None if doc is None else ServiceItem.model_validate(_strip(doc))
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
        if not include_closed:
            query["status"] = "open"
        docs = await self.items.find(query).sort("_id", ASCENDING).to_list(None)
        return [ServiceItem.model_validate(_strip(d)) for d in docs]

    async def stored_item(self, code: str) -> Document | None:
        """The item as stored, uncached and unvalidated (`egov audit verify`)."""
        doc = await self.items.find_one({"_id": code})
        return None if doc is None else _strip(doc)

    async def item_codes(self) -> list[str]:
        return sorted(str(i) for i in await self.items.distinct("_id"))

    async def insert_item(
        self, item: ServiceItem, *, session: Session = None, events: Sequence[Envelope] = ()
    ) -> None:
        self._item_cache.pop(item.code, None)
        try:
            await self.items.insert_one(
                {"_id": item.code, **item.model_dump(mode="json")}, session=session
            )
        except DuplicateKeyError as exc:
            raise DuplicateKey(item.code) from exc
        await self.outbox.add(events, session=session)

    async def replace_item(
        self,
        item: ServiceItem,
        *,
        expected_version: int,
        session: Session = None,
        events: Sequence[Envelope] = (),
    ) -> bool:
        self._item_cache.pop(item.code, None)
        result = await self.items.replace_one(
            {"_id": item.code, "version": expected_version},
            {"_id": item.code, **item.model_dump(mode="json")},
            session=session,
        )
        if result.matched_count != 1:
            return False
        await self.outbox.add(events, session=session)
        return True

    async def publish(self, events: Sequence[Envelope]) -> None:
        """Queue events on the outbox alone (the whole catalog again: ids already queued are
        skipped)."""
        await self.outbox.add(events, session=None)


__all__ = ["MongoCatalog"]
