"""In-app inbox items."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import DESCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from services.notify.ports import Doc


class MongoInbox:
    def __init__(self, db: AsyncDatabase[Any]) -> None:
        self.col = db["inbox"]

    async def ensure_indexes(self) -> None:
        await self.col.create_index([("owner", DESCENDING), ("created_at", DESCENDING)])

    async def add(self, doc: Doc) -> None:
        try:
            await self.col.insert_one(doc)
        except DuplicateKeyError:
            pass

    async def list(self, owner: str, *, unread_only: bool, limit: int) -> list[Doc]:
        query: dict[str, Any] = {"owner": owner}
        if unread_only:
            query["read_at"] = None
        return await self.col.find(query).sort("created_at", DESCENDING).to_list(limit)

    async def mark_read(self, item_id: str, owner: str, at: datetime) -> bool:
        result = await self.col.update_one(
            {"_id": item_id, "owner": owner}, {"$set": {"read_at": at}}
        )
        return result.matched_count == 1
