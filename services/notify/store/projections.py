"""What notify keeps of other services' events: case contacts, subjects, stage assignees, and
events parked until their case's contact data arrives.

A case with parked events is flagged (``parked`` on its contact document, alone until the case
is registered), so registering a case reads the parked events only when there are some."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from services.notify.domain.subjects import subject_update
from services.notify.ports import Doc
from shared.contracts import Envelope

PARKED = "parked"  # on a case's contact document: events of the case wait in parked_events


class MongoProjections:
    def __init__(self, db: AsyncDatabase[Any], parked_ttl: timedelta) -> None:
        self.cases = db["case_contacts"]
        self.subjects = db["subject_contacts"]
        self.stages = db["stages"]
        self.parked = db["parked_events"]
        self.parked_ttl = parked_ttl

    async def ensure_indexes(self) -> None:
        await self.parked.create_index([("case_id", ASCENDING)])
        await self.parked.create_index(
            "at", expireAfterSeconds=int(self.parked_ttl.total_seconds())
        )

    async def save_case(self, doc: Doc) -> bool:
        fields = {k: v for k, v in doc.items() if k != "_id"}
        saved = await self.cases.find_one_and_update(
            {"_id": doc["_id"]},
            {"$set": fields},
            projection={PARKED: 1},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        await self.subjects.update_one(
            {"_id": doc["applicant_id"]}, {"$set": subject_update(doc)}, upsert=True
        )
        return bool((saved or {}).get(PARKED))

    async def get_case(self, case_id: str) -> Doc | None:
        # Not the flag alone that a parked event leaves before its case is registered.
        return await self.cases.find_one({"_id": case_id, "applicant_id": {"$exists": True}})

    async def get_subject(self, subject_id: str) -> Doc | None:
        return await self.subjects.find_one({"_id": subject_id})

    async def save_stage(self, stage_id: str, fields: Doc) -> None:
        await self.stages.update_one({"_id": stage_id}, {"$set": fields}, upsert=True)

    async def get_stage(self, stage_id: str) -> Doc | None:
        return await self.stages.find_one({"_id": stage_id})

    async def park(self, case_id: str, envelope: Envelope, at: datetime) -> None:
        try:
            await self.parked.insert_one(
                {
                    "_id": envelope.id,
                    "case_id": case_id,
                    "envelope": envelope.to_json_bytes(),
                    "at": at,
                }
            )
        except DuplicateKeyError:
            pass
        # After the event: a crash between the two leaves the event unhandled, so it comes again.
        await self.cases.update_one({"_id": case_id}, {"$set": {PARKED: True}}, upsert=True)

    async def parked_events(self, case_id: str) -> list[Envelope]:
        docs = await self.parked.find({"case_id": case_id}).sort("at", ASCENDING).to_list(None)
        return [Envelope.from_json_bytes(bytes(d["envelope"])) for d in docs]

    async def drop_parked(self, case_id: str, event_ids: list[str]) -> None:
        if event_ids:
            await self.parked.delete_many({"_id": {"$in": event_ids}})
        # Last: a crash before it leaves the flag, so the redelivered registration finds them.
        await self.cases.update_one({"_id": case_id}, {"$unset": {PARKED: ""}})
