"""Deliveries: one document per (event, recipient, channel), written 'pending' before sending."""

from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import BulkWriteError, DuplicateKeyError

from services.notify.ports import Doc
from services.notify.store.inbox import MongoInbox
from shared.contracts import Envelope
from shared.mongo import in_transaction
from shared.runtime import Infrastructure

DUPLICATE_KEY = 11000


class MongoDeliveries:
    def __init__(self, infra: Infrastructure, inbox: MongoInbox) -> None:
        self.infra = infra
        self.col = infra.db["deliveries"]
        self.inbox = inbox.col  # written with the deliveries that send its items

    async def ensure_indexes(self) -> None:
        # The rule "at most one delivery per (event, recipient, channel)" lives in this index.
        await self.col.create_index(
            [("event_id", ASCENDING), ("recipient_key", ASCENDING), ("channel", ASCENDING)],
            unique=True,
            name="one_delivery_per_event_recipient_channel",
        )
        await self.col.create_index([("status", ASCENDING), ("due_at", ASCENDING)])
        await self.col.create_index(
            [("recipient_key", ASCENDING), ("channel", ASCENDING), ("sent_at", ASCENDING)]
        )

    async def insert(self, docs: list[Doc]) -> list[str]:
        if not docs:
            return []
        try:
            await self.col.insert_many(docs, ordered=False)
        except BulkWriteError as exc:
            # Already recorded by an earlier run of this event: the others are inserted.
            there = _duplicates(exc)
            return [str(d["_id"]) for i, d in enumerate(docs) if i not in there]
        return [str(d["_id"]) for d in docs]

    async def record(self, docs: list[Doc], *, inbox: list[Doc], events: list[Envelope]) -> bool:
        async def work(session: AsyncClientSession) -> None:
            await self.col.insert_many(docs, session=session)
            if inbox:
                await self.inbox.insert_many(inbox, session=session)
            await self.infra.outbox.add(events, session=session)

        try:
            await in_transaction(self.infra.mongo, work)
        except DuplicateKeyError:
            return False
        except BulkWriteError as exc:
            _duplicates(exc)
            return False
        self.infra.relay.wake()
        return True

    async def claim(self, delivery_id: str, *, now: datetime, lease_until: datetime) -> Doc | None:
        return await self.col.find_one_and_update(
            {
                "_id": delivery_id,
                "status": "pending",
                "due_at": {"$lte": now},
                "lease_until": {"$lte": now},
            },
            {"$set": {"lease_until": lease_until, "owner": self.infra.owner}},
            return_document=ReturnDocument.AFTER,
        )

    async def due(self, now: datetime, limit: int) -> list[str]:
        docs = (
            await self.col.find(
                {"status": "pending", "due_at": {"$lte": now}, "lease_until": {"$lte": now}},
                {"_id": 1},
            )
            .sort("due_at", ASCENDING)
            .to_list(limit)
        )
        return [str(d["_id"]) for d in docs]

    async def release(self, delivery_id: str, due_at: datetime) -> None:
        await self.col.update_one(
            {"_id": delivery_id, "status": "pending"},
            {"$set": {"due_at": due_at, "lease_until": due_at}},
        )

    async def retry_later(
        self, delivery_id: str, *, attempts: int, due_at: datetime, error: str
    ) -> None:
        await self.col.update_one(
            {"_id": delivery_id, "status": "pending"},
            {
                "$set": {
                    "attempts": attempts,
                    "due_at": due_at,
                    "lease_until": due_at,
                    "last_error": error,
                }
            },
        )

    async def finish(
        self,
        delivery_id: str,
        *,
        status: str,
        attempts: int,
        at: datetime,
        error: str | None,
        event: Envelope,
    ) -> None:
        stamp = "sent_at" if status == "sent" else "failed_at"

        async def work(session: AsyncClientSession) -> None:
            result = await self.col.update_one(
                {"_id": delivery_id, "status": "pending"},
                {"$set": {"status": status, "attempts": attempts, stamp: at, "last_error": error}},
                session=session,
            )
            if result.modified_count == 1:
                await self.infra.outbox.add([event], session=session)

        await in_transaction(self.infra.mongo, work)
        self.infra.relay.wake()

    async def sent_times(self, recipient_key: str, channel: str, since: datetime) -> list[datetime]:
        docs = await self.col.find(
            {
                "recipient_key": recipient_key,
                "channel": channel,
                "status": "sent",
                "sent_at": {"$gte": since},
            },
            {"sent_at": 1},
        ).to_list(10_000)
        return [d["sent_at"] for d in docs]

    async def get(self, delivery_id: str) -> Doc | None:
        return await self.col.find_one({"_id": delivery_id})


def _duplicates(exc: BulkWriteError) -> set[int]:
    """Which of a bulk insert's documents (by index) were already there; re-raises any other
    error."""
    errors = exc.details.get("writeErrors", [])
    if not errors or any(e.get("code") != DUPLICATE_KEY for e in errors):
        raise exc
    return {int(e["index"]) for e in errors}
