"""Processed-event ids per consumer group, so a redelivered event is handled once."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Protocol

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError


class DedupeStore(Protocol):
    async def seen(self, consumer: str, key: str) -> bool: ...
    async def mark(self, consumer: str, key: str, at: datetime) -> None: ...


class InMemoryDedupe:
    def __init__(self) -> None:
        self.keys: set[tuple[str, str]] = set()

    async def seen(self, consumer: str, key: str) -> bool:
        return (consumer, key) in self.keys

    async def mark(self, consumer: str, key: str, at: datetime) -> None:
        self.keys.add((consumer, key))


class MongoDedupe:
    """``processed_events`` with a TTL index: ids are forgotten after ``ttl``."""

    def __init__(
        self, db: AsyncDatabase[Any], ttl: timedelta, collection: str = "processed_events"
    ):
        self.col = db[collection]
        self.ttl = ttl

    async def ensure_indexes(self) -> None:
        await self.col.create_index("at", expireAfterSeconds=int(self.ttl.total_seconds()))

    async def seen(self, consumer: str, key: str) -> bool:
        return await self.col.find_one({"_id": f"{consumer}|{key}"}, {"_id": 1}) is not None

    async def mark(self, consumer: str, key: str, at: datetime) -> None:
        try:
            await self.col.insert_one({"_id": f"{consumer}|{key}", "at": at})
        except DuplicateKeyError:
            pass
