"""MongoDB adapter of uploads (collection ``uploads``): one document per upload id."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from services.intake.domain.uploads import Upload, UploadStatus
from shared.mongo import Document

# An expired upload's object is deleted by the sweep (handlers/uploads.expire_uploads); the TTL
# index forgets the record this much later, so a sweep that was down for a while still finds it.
FORGET_AFTER_EXPIRY = timedelta(days=1)


def _doc(upload: Upload) -> Document:
    doc = upload.model_dump(mode="python")
    doc["_id"] = upload.upload_id
    doc["forget_at"] = upload.expires_at + FORGET_AFTER_EXPIRY if upload.expires_at else None
    return doc


def _upload(doc: dict[str, Any]) -> Upload:
    return Upload.model_validate({k: v for k, v in doc.items() if k not in ("_id", "forget_at")})


class MongoUploadStore:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.uploads = db["uploads"]

    async def ensure_indexes(self) -> None:
        await self.uploads.create_index("forget_at", expireAfterSeconds=0)
        await self.uploads.create_index([("expires_at", ASCENDING)], sparse=True)

    async def insert(self, upload: Upload) -> None:
        await self.uploads.insert_one(_doc(upload))

    async def get(self, upload_id: str) -> Upload | None:
        doc = await self.uploads.find_one({"_id": upload_id})
        return None if doc is None else _upload(doc)

    async def settle(self, upload: Upload) -> bool:
        result = await self.uploads.replace_one(
            {"_id": upload.upload_id, "status": UploadStatus.PENDING.value}, _doc(upload)
        )
        return result.modified_count == 1

    async def claim(self, upload_id: str, *, owner_id: str, case_id: str, now: datetime) -> bool:
        result = await self.uploads.update_one(
            {
                "_id": upload_id,
                "owner_id": owner_id,
                "status": UploadStatus.VERIFIED.value,
                "case_id": None,
                "expires_at": {"$gt": now},
            },
            {"$set": {"case_id": case_id, "expires_at": None, "forget_at": None}},
        )
        return result.modified_count == 1

    async def release(self, upload_id: str, *, case_id: str, expires_at: datetime) -> None:
        forget_at = expires_at + FORGET_AFTER_EXPIRY
        await self.uploads.update_one(
            {"_id": upload_id, "case_id": case_id},
            {"$set": {"case_id": None, "expires_at": expires_at, "forget_at": forget_at}},
        )

    async def expired(self, now: datetime, *, limit: int) -> list[Upload]:
        cursor = self.uploads.find({"case_id": None, "expires_at": {"$ne": None, "$lte": now}})
        return [_upload(doc) async for doc in cursor.limit(limit)]

    async def forget(self, upload_id: str) -> None:
        await self.uploads.delete_one({"_id": upload_id})
