"""The officer directory in MongoDB, loaded from the versioned YAML file and edited by admins
(each change chained by handlers/admin.py)."""

from __future__ import annotations

import logging
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from services.notify.domain import Directory, Officer, stored_officer

log = logging.getLogger(__name__)

_FIELDS = set(Officer.model_fields)


class MongoDirectory:
    def __init__(self, db: AsyncDatabase[Any]) -> None:
        self.col = db["officers"]
        self.sections = db["sections"]
        self.meta = db["directory_meta"]

    async def ensure_indexes(self) -> None:
        await self.col.create_index([("department", ASCENDING), ("roles", ASCENDING)])

    @staticmethod
    def _officer(doc: dict[str, Any]) -> Officer:
        officer, dropped = stored_officer({k: v for k, v in doc.items() if k in _FIELDS})
        if dropped:
            # Stored before contacts were checked: says which contact to fix (API or file).
            log.warning("officer %s: stored %s invalid, not used", officer.id, dropped)
        return officer

    async def officers(
        self,
        *,
        role: str | None = None,
        department: str | None = None,
        section: str | None = None,
        departments: list[str] | None = None,
    ) -> list[Officer]:
        query: dict[str, Any] = {"active": True}
        if role is not None:
            query["roles"] = role
        if department is not None:
            query["department"] = department
        elif departments is not None:
            query["department"] = {"$in": departments}
        if section is not None:
            query["section"] = section
        docs = await self.col.find(query).sort("_id", ASCENDING).to_list(500)
        return [self._officer(d) for d in docs]

    async def all_officers(self, department: str | None = None) -> list[Officer]:
        query: dict[str, Any] = {} if department is None else {"department": department}
        docs = await self.col.find(query).sort("_id", ASCENDING).to_list(5000)
        return [self._officer(d) for d in docs]

    async def get_officer(self, officer_id: str) -> Officer | None:
        doc = await self.col.find_one({"_id": officer_id})
        return None if doc is None else self._officer(doc)

    async def upsert_officer(self, officer: Officer, *, source: str, session: Any = None) -> None:
        doc = officer.model_dump() | {"source": source}
        await self.col.replace_one(
            {"_id": officer.id}, {"_id": officer.id, **doc}, upsert=True, session=session
        )

    async def delete_officer(self, officer_id: str, *, session: Any = None) -> bool:
        result = await self.col.delete_one({"_id": officer_id}, session=session)
        return result.deleted_count == 1

    async def officer_ids(self, *, source: str) -> list[str]:
        return sorted(str(i) for i in await self.col.distinct("_id", {"source": source}))

    async def version(self) -> str | None:
        doc = await self.meta.find_one({"_id": "directory"})
        return None if doc is None else str(doc["version"])

    async def save_version(self, directory: Directory) -> None:
        for section in directory.sections:
            await self.sections.replace_one(
                {"_id": section.code}, {"_id": section.code, **section.model_dump()}, upsert=True
            )
        await self.meta.replace_one(
            {"_id": "directory"}, {"_id": "directory", "version": directory.version}, upsert=True
        )
