"""Admin-change chains in MongoDB: one document a chain in the service's ``admin_changes``
collection (``_id`` "<chain>/<chain id>", its head ``count`` and ``head``, its ``entries``),
written in the transaction that makes the change, with the chain's checkpoint in the outbox."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from shared.audit.admin import ChainMoved, LinkedChange, Work
from shared.audit.chain import ChainHead
from shared.mongo.client import in_transaction
from shared.mongo.outbox import Outbox


def _id(chain: str, chain_id: str) -> str:
    return f"{chain}/{chain_id}"


class MongoAdminLog:
    def __init__(self, client: Any, db: AsyncDatabase[Any], outbox: Outbox) -> None:
        self.client = client
        self.col = db["admin_changes"]
        self.outbox = outbox

    async def ensure_indexes(self) -> None:
        await self.col.create_index([("chain", ASCENDING), ("chain_id", ASCENDING)])

    async def head(self, chain: str, chain_id: str) -> ChainHead:
        """The head a new change links after (the chain's genesis when it has none)."""
        stored = await self.stored_head(chain, chain_id)
        return stored or ChainHead.start(chain, chain_id)

    async def record(self, linked: LinkedChange, work: Work) -> bool:
        """Run ``work`` (the change; False: nothing to change) and, when it changed something,
        append ``linked`` and queue its checkpoint, all in one transaction. ChainMoved when
        another change of the same thing moved the head first (nothing is written)."""

        async def run(session: AsyncClientSession) -> bool:
            if not await work(session):
                return False
            await self._append(linked, session)
            await self.outbox.add([linked.event], session=session)
            return True

        return await in_transaction(self.client, run)

    async def _append(self, linked: LinkedChange, session: AsyncClientSession) -> None:
        chain, chain_id = linked.entry["chain"], linked.entry["chain_id"]
        moved = _head_fields(linked.head)
        if linked.previous.count == 0:
            doc = {"_id": _id(chain, chain_id), "chain": chain, "chain_id": chain_id, **moved}
            try:
                await self.col.insert_one(doc | {"entries": [linked.entry]}, session=session)
            except DuplicateKeyError as exc:
                raise ChainMoved(_id(chain, chain_id)) from exc
            return
        result = await self.col.update_one(
            {"_id": _id(chain, chain_id), **_head_fields(linked.previous)},
            {"$set": moved, "$push": {"entries": linked.entry}},
            session=session,
        )
        if result.matched_count != 1:
            raise ChainMoved(_id(chain, chain_id))

    # -- read by `egov audit verify` -------------------------------------------------------

    async def chain_ids(self, chain: str) -> list[str]:
        return sorted(str(i) for i in await self.col.distinct("chain_id", {"chain": chain}))

    async def stored_head(self, chain: str, chain_id: str) -> ChainHead | None:
        doc = await self.col.find_one({"_id": _id(chain, chain_id)}, {"count": 1, "head": 1})
        return None if doc is None else ChainHead(count=doc["count"], hash=doc["head"])

    async def entries(self, chain: str, chain_id: str) -> list[dict[str, Any]]:
        doc = await self.col.find_one({"_id": _id(chain, chain_id)}, {"entries": 1})
        return [] if doc is None else list(doc.get("entries") or [])


def _head_fields(head: ChainHead) -> dict[str, Any]:
    return {"count": head.count, "head": head.hash}
