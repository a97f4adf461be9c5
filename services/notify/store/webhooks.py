"""Webhook subscriptions and the integrators they belong to."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from services.notify.ports import Doc


class MongoSubscriptions:
    def __init__(self, db: AsyncDatabase[Any]) -> None:
        self.col = db["webhook_subscriptions"]

    async def ensure_indexes(self) -> None:
        await self.col.create_index("event_types")
        await self.col.create_index([("owner", ASCENDING), ("created_at", ASCENDING)])

    async def add(self, doc: Doc, *, session: Any = None) -> None:
        await self.col.insert_one(doc, session=session)

    async def for_event_type(self, event_type: str) -> list[Doc]:
        return await self.col.find({"event_types": event_type, "active": True}).to_list(1000)

    async def get(self, subscription_id: str) -> Doc | None:
        return await self.col.find_one({"_id": subscription_id})

    async def owned_by(self, owner: str | None) -> list[Doc]:
        query = {} if owner is None else {"owner": owner}
        return await self.col.find(query).sort("created_at", ASCENDING).to_list(1000)

    async def delete(self, subscription_id: str, *, session: Any = None) -> bool:
        result = await self.col.update_one(
            {"_id": subscription_id, "active": True}, {"$set": {"active": False}}, session=session
        )
        return result.matched_count == 1

    async def add_secret(self, subscription_id: str, secret: Doc, *, session: Any = None) -> bool:
        result = await self.col.update_one(
            {"_id": subscription_id, "active": True},
            {"$push": {"secrets": secret}},
            session=session,
        )
        return result.matched_count == 1

    async def remove_secret(
        self, subscription_id: str, secret_id: str, *, session: Any = None
    ) -> bool:
        # Never the last one: the filter requires another secret to remain.
        result = await self.col.update_one(
            {
                "_id": subscription_id,
                "secrets.id": secret_id,
                "secrets.1": {"$exists": True},
            },
            {"$pull": {"secrets": {"id": secret_id}}},
            session=session,
        )
        return result.modified_count == 1


class MongoIntegrators:
    def __init__(self, db: AsyncDatabase[Any]) -> None:
        self.col = db["webhook_integrators"]

    async def ensure_indexes(self) -> None:
        return None  # looked up by _id only

    async def put(self, doc: Doc, *, session: Any = None) -> None:
        await self.col.replace_one({"_id": doc["_id"]}, doc, upsert=True, session=session)

    async def get(self, subject: str) -> Doc | None:
        return await self.col.find_one({"_id": subject})

    async def all(self) -> list[Doc]:
        return await self.col.find({}).sort("_id", ASCENDING).to_list(1000)
