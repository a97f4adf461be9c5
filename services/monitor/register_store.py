"""The findings and 督办 register in MongoDB (queryable across every worker, kept for good)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

from services.monitor.register import Record
from shared.mongo.outbox import DUPLICATE_KEY


class MongoRegister:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.records = db["register"]

    async def ensure_indexes(self) -> None:
        await self.records.create_index([("department", ASCENDING), ("at", DESCENDING)])
        await self.records.create_index([("state", ASCENDING), ("answer_due", ASCENDING)])

    async def add(self, record: Record) -> bool:
        """False when the record exists (the event was seen before)."""
        try:
            await self.records.insert_one(record)
        except DuplicateKeyError:
            return False
        return True

    async def add_many(self, records: list[Record]) -> None:
        """Insert every record not stored yet (one round trip; those seen before stay)."""
        if not records:
            return
        try:
            await self.records.insert_many(records, ordered=False)
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if any(e.get("code") != DUPLICATE_KEY for e in errors) or not errors:
                raise

    async def known(self, record_ids: list[str]) -> set[str]:
        """Which of these records are stored."""
        found = self.records.find({"_id": {"$in": record_ids}}, {"_id": 1})
        return {str(doc["_id"]) async for doc in found}

    async def get(self, record_id: str) -> Record | None:
        return await self.records.find_one({"_id": record_id})

    async def replace(self, record: Record, *, expected_state: str) -> bool:
        """Write ``record`` if the stored one is still in ``expected_state``."""
        result = await self.records.replace_one(
            {"_id": record["_id"], "state": expected_state}, record
        )
        return result.matched_count == 1

    async def query(
        self,
        *,
        department: str | None,
        state: str | None,
        kind: str | None,
        since: datetime | None,
        until: datetime | None,
        limit: int,
        offset: int,
    ) -> tuple[list[Record], int]:
        flt: dict[str, Any] = {}
        for name, value in (("department", department), ("state", state), ("kind", kind)):
            if value is not None:
                flt[name] = value
        if since is not None or until is not None:
            flt["at"] = {
                **({"$gte": since} if since else {}),
                **({"$lt": until} if until else {}),
            }
        total = await self.records.count_documents(flt)
        cursor = self.records.find(flt).sort([("at", DESCENDING), ("_id", ASCENDING)])
        return await cursor.skip(offset).limit(limit).to_list(limit), total

    async def late(self, now: datetime) -> list[Record]:
        """Open records past their answer deadline not yet found late."""
        flt = {"state": "open", "answer_due": {"$lt": now}, "late_found": {"$ne": True}}
        return await self.records.find(flt).to_list(1000)
