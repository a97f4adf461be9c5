"""The board's parts in MongoDB: each worker writes the part of every partition it owns, so the
board of any worker covers the whole platform (``board.merge``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pymongo import UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from services.monitor.board import Part


class MongoBoardParts:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.parts = db["board_parts"]

    async def put(self, parts: dict[int, Part], *, at: datetime, worker: str) -> None:
        if not parts:
            return
        await self.parts.bulk_write(
            [
                UpdateOne(
                    {"_id": partition},
                    {"$set": {"part": part, "at": at, "worker": worker}},
                    upsert=True,
                )
                for partition, part in parts.items()
            ],
            ordered=False,
        )

    async def fresh(self, *, now: datetime, max_age: timedelta) -> dict[int, Part]:
        """The parts written within ``max_age``: a partition whose owner stopped writing (it
        died and the new owner is still recovering) is left out rather than shown stale."""
        found: dict[int, Part] = {}
        async for doc in self.parts.find({"at": {"$gte": now - max_age}}):
            found[int(doc["_id"])] = doc["part"]
        return found
