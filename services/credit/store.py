"""MongoDB adapter: one document per subject (with a version for optimistic concurrency) and one
per record (unique origin key), written with the outgoing events in one transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from services.credit.domain import CreditRecord, Status, Subject
from shared.contracts import Envelope, SubjectKind
from shared.errors import DuplicateKey, StaleVersion
from shared.mongo import Outbox, in_transaction


def record_to_doc(record: CreditRecord) -> dict[str, Any]:
    # JSON mode keeps microseconds; the BSON date copies serve range queries.
    doc = record.model_dump(mode="json")
    doc["_id"] = record.record_id
    doc["occurred_on"] = record.occurred_at
    doc["objection_open"] = record.open_objection is not None
    return doc


def record_from_doc(doc: dict[str, Any]) -> CreditRecord:
    return CreditRecord.model_validate(
        {k: v for k, v in doc.items() if k not in ("_id", "occurred_on", "objection_open")}
    )


def subject_to_doc(subject: Subject) -> dict[str, Any]:
    doc = subject.model_dump(mode="json")
    doc["_id"] = subject.subject_id
    return doc


def subject_from_doc(doc: dict[str, Any]) -> Subject:
    return Subject.model_validate({k: v for k, v in doc.items() if k != "_id"})


class MongoCreditStore:
    def __init__(
        self,
        client: AsyncMongoClient[dict[str, Any]],
        db: AsyncDatabase[dict[str, Any]],
        outbox: Outbox,
    ) -> None:
        self.client = client
        self.subjects = db["subjects"]
        self.records = db["records"]
        self.outbox = outbox

    async def ensure_indexes(self) -> None:
        await self.records.create_index("origin_key", unique=True)
        await self.records.create_index([("subject_id", ASCENDING), ("occurred_on", ASCENDING)])
        await self.records.create_index("objections.objection_id")
        await self.records.create_index([("subject_kind", ASCENDING), ("occurred_on", ASCENDING)])
        await self.records.create_index("objection_open")

    async def subject(self, subject_id: str) -> Subject | None:
        doc = await self.subjects.find_one({"_id": subject_id})
        return subject_from_doc(doc) if doc else None

    async def records_of(self, subject_id: str) -> list[CreditRecord]:
        cursor = self.records.find({"subject_id": subject_id}).sort("occurred_on", ASCENDING)
        return [record_from_doc(d) async for d in cursor]

    async def record(self, record_id: str) -> CreditRecord | None:
        doc = await self.records.find_one({"_id": record_id})
        return record_from_doc(doc) if doc else None

    async def record_by_objection(self, objection_id: str) -> CreditRecord | None:
        doc = await self.records.find_one({"objections.objection_id": objection_id})
        return record_from_doc(doc) if doc else None

    async def save(
        self,
        subject: Subject,
        expected_version: int,
        *,
        new_records: list[CreditRecord],
        updated_records: list[CreditRecord],
        envelopes: list[Envelope],
    ) -> None:
        async def work(s: AsyncClientSession) -> None:
            doc = subject_to_doc(subject)
            if expected_version == 0:
                try:
                    await self.subjects.insert_one(doc, session=s)
                except DuplicateKeyError as exc:
                    raise StaleVersion(f"subject {subject.subject_id}") from exc
            else:
                result = await self.subjects.replace_one(
                    {"_id": subject.subject_id, "version": expected_version}, doc, session=s
                )
                if result.matched_count == 0:
                    raise StaleVersion(f"subject {subject.subject_id}")
            for record in new_records:
                try:
                    await self.records.insert_one(record_to_doc(record), session=s)
                except DuplicateKeyError as exc:
                    raise DuplicateKey(record.origin_key) from exc
            for record in updated_records:
                await self.records.replace_one(
                    {"_id": record.record_id}, record_to_doc(record), session=s
                )
            await self.outbox.add(envelopes, session=s)

        await in_transaction(self.client, work)

    async def department_records(self, start: datetime, end: datetime) -> list[CreditRecord]:
        flt = {
            "subject_kind": SubjectKind.DEPARTMENT.value,
            "occurred_on": {"$gte": start, "$lt": end},
        }
        return [record_from_doc(d) async for d in self.records.find(flt)]

    async def subject_ids(self) -> list[str]:
        # Level A, red-listed and not black-listed is the best standing: time cannot change it.
        flt = {"$or": [{"level": {"$ne": "A"}}, {"red_list": False}, {"black_list": True}]}
        return [str(d["_id"]) async for d in self.subjects.find(flt, {"_id": 1})]

    async def record_ids(self) -> list[str]:
        return sorted([str(i) for i in await self.records.distinct("_id")])

    async def records_with_open_objection(self) -> list[CreditRecord]:
        return [record_from_doc(d) async for d in self.records.find({"objection_open": True})]

    async def open_objections(self) -> int:
        return await self.records.count_documents(
            {"objection_open": True, "status": Status.DISPUTED.value}
        )
