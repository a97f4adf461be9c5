"""MongoDB adapter of the intake service: catalog, cases, counters, idempotency records,
external references, the e-licence registry and the last known credit status per subject."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from services.intake.catalog_store import MongoItemCatalog, strip_id
from services.intake.domain import CaseRecord
from services.intake.domain.agents import AgentGrant
from services.intake.ports import IdempotencyRecord
from services.intake.reference_store import ReferenceData
from shared.clock import Clock
from shared.contracts import Envelope
from shared.errors import DuplicateKey, StaleVersion, Unavailable
from shared.mongo import Document, in_transaction
from shared.mongo.outbox import Outbox

Session = AsyncClientSession | None


def _case_doc(case: CaseRecord) -> Document:
    doc = case.model_dump(mode="python")
    doc["_id"] = case.case_id
    return doc


SEQUENCE_TRIES = 5  # a day's counter contended by concurrent submissions


class MongoIntakeStore(MongoItemCatalog, ReferenceData):
    def __init__(
        self,
        client: Any,
        db: AsyncDatabase[Document],
        outbox: Outbox,
        *,
        clock: Clock,
        idempotency_ttl: timedelta = timedelta(hours=24),
        item_cache_s: float = 5.0,
    ) -> None:
        self.client = client
        self.db = db
        self.outbox = outbox
        self.clock = clock
        self.idempotency_ttl = idempotency_ttl
        self.items = db["items"]
        self.cases = db["cases"]
        self.counters = db["case_counters"]
        self.idempotency = db["idempotency_keys"]
        self.external = db["external_submissions"]
        self.licences = db["elicences"]
        self.credit = db["credit_cache"]
        self.code_attempts = db["code_attempts"]
        self.agents = db["agents"]
        # Items are read on every submission and change rarely; another replica's admin edit
        # is seen after at most ``item_cache_s``.
        self.item_cache_s = item_cache_s
        self._item_cache = {}

    async def ensure_indexes(self) -> None:
        await self.external.create_index(
            [("source_system", ASCENDING), ("external_id", ASCENDING)], unique=True
        )
        await self.cases.create_index("rectification.rectification_id")
        await self.cases.create_index("rectification.due_provisional", sparse=True)
        await self.cases.create_index([("status", ASCENDING), ("decided_at", ASCENDING)])
        await self.idempotency.create_index("expires_at", expireAfterSeconds=0)
        await self.code_attempts.create_index("forget_at", expireAfterSeconds=0)
        await self.items.create_index([("region", ASCENDING), ("department", ASCENDING)])
        await self.agents.create_index("subject_id")
        await self.ensure_reference_indexes()

    # -- cases -----------------------------------------------------------------------------

    async def next_sequence(self, region: str, local_day: date) -> int:
        key = f"{region}-{local_day:%Y%m%d}"
        for _ in range(SEQUENCE_TRIES):
            try:
                doc = await self.counters.find_one_and_update(
                    {"_id": key},
                    {"$inc": {"seq": 1}},
                    upsert=True,
                    return_document=ReturnDocument.AFTER,
                )
            except DuplicateKeyError:
                continue  # two first-of-the-day upserts raced; the loser increments again
            if doc is None:  # an upsert racing another answered no document (seen on SecantusDB)
                continue
            return int(doc["seq"])
        raise Unavailable(f"no case number for {key} yet: try again", retry_after_s=1)

    async def find_idempotency(self, key: str) -> IdempotencyRecord | None:
        doc = await self.idempotency.find_one({"_id": key})
        if doc is None:
            return None
        return IdempotencyRecord(
            key=key,
            fingerprint=doc["fingerprint"],
            case_id=doc["case_id"],
            response=doc["response"],
        )

    async def find_external(self, source_system: str, external_id: str) -> str | None:
        doc = await self.external.find_one(
            {"source_system": source_system, "external_id": external_id}
        )
        return None if doc is None else str(doc["case_id"])

    async def create_case(
        self,
        case: CaseRecord,
        events: Sequence[Envelope],
        *,
        idempotency: IdempotencyRecord | None = None,
    ) -> None:
        now = self.clock.now()

        async def work(session: AsyncClientSession) -> None:
            if idempotency is not None:
                await self.idempotency.insert_one(
                    {
                        "_id": idempotency.key,
                        "fingerprint": idempotency.fingerprint,
                        "case_id": case.case_id,
                        "response": idempotency.response,
                        "created_at": now,
                        "expires_at": now + self.idempotency_ttl,
                    },
                    session=session,
                )
            if case.source_system and case.external_id:
                await self.external.insert_one(
                    {
                        "_id": f"{case.source_system}|{case.external_id}",
                        "source_system": case.source_system,
                        "external_id": case.external_id,
                        "case_id": case.case_id,
                        "at": now,
                    },
                    session=session,
                )
            await self.cases.insert_one(_case_doc(case), session=session)
            await self.outbox.add(events, session=session)

        try:
            await in_transaction(self.client, work)
        except DuplicateKeyError as exc:
            raise DuplicateKey(str(exc)) from exc

    async def get_case(self, case_id: str) -> CaseRecord | None:
        doc = await self.cases.find_one({"_id": case_id})
        return None if doc is None else CaseRecord.model_validate(doc)

    async def case_ids(self) -> list[str]:
        return sorted([str(i) for i in await self.cases.distinct("_id")])

    async def add_code_attempt(
        self, case_id: str, *, attempt_id: str, at: datetime, keep: int, forget_at: datetime
    ) -> list[datetime]:
        for _ in range(3):
            # Create the document first, apart from the push: two first attempts racing in one
            # upserting push could lose one of them (or its post-image) on some servers.
            try:
                await self.code_attempts.update_one(
                    {"_id": case_id},
                    {"$setOnInsert": {"attempts": []}, "$max": {"forget_at": forget_at}},
                    upsert=True,
                )
            except DuplicateKeyError:
                pass  # another attempt created it first
            doc = await self.code_attempts.find_one_and_update(
                {"_id": case_id},
                {"$push": {"attempts": {"$each": [{"id": attempt_id, "at": at}], "$slice": -keep}}},
                return_document=ReturnDocument.AFTER,
            )
            if doc is not None:
                return [a["at"] for a in doc["attempts"] if a["id"] != attempt_id]
            # expired (TTL) between the two calls: create it again
        raise RuntimeError(f"could not record a code attempt on {case_id}")

    async def drop_code_attempt(self, case_id: str, attempt_id: str) -> None:
        await self.code_attempts.update_one(
            {"_id": case_id}, {"$pull": {"attempts": {"id": attempt_id}}}
        )

    async def save_case(self, case: CaseRecord, events: Sequence[Envelope]) -> None:
        doc = _case_doc(case)
        doc["version"] = case.version + 1

        async def work(session: AsyncClientSession) -> None:
            result = await self.cases.replace_one(
                {"_id": case.case_id, "version": case.version}, doc, session=session
            )
            if result.matched_count != 1:
                raise StaleVersion(f"case {case.case_id}")
            await self.outbox.add(events, session=session)

        await in_transaction(self.client, work)

    async def find_case_by_rectification(self, rectification_id: str) -> CaseRecord | None:
        doc = await self.cases.find_one({"rectification.rectification_id": rectification_id})
        return None if doc is None else CaseRecord.model_validate(doc)

    async def rectifications_to_recompute(self, calendar_version: str) -> list[str]:
        flt = {
            "rectification.closed_at": None,
            "rectification.due_provisional": True,
            "rectification.due_calendar": {"$ne": calendar_version},
        }
        return [str(d["_id"]) async for d in self.cases.find(flt, {"_id": 1})]

    async def decided_unrated(self, *, decided_before: datetime, limit: int) -> list[CaseRecord]:
        docs = (
            await self.cases.find(
                {
                    "status": "decided",
                    "rating": None,
                    "invited_at": None,
                    "bundle_id": None,
                    "decided_at": {"$lte": decided_before},
                }
            )
            .limit(limit)
            .to_list(None)
        )
        return [CaseRecord.model_validate(d) for d in docs]

    # -- agents ----------------------------------------------------------------------------

    async def save_agent(self, grant: AgentGrant) -> None:
        doc = grant.model_dump(mode="python")
        doc["valid_until"] = grant.valid_until.isoformat()  # BSON keeps no bare dates
        key = f"{grant.subject_id}|{grant.agent_id}"
        await self.agents.replace_one({"_id": key}, doc, upsert=True)

    async def get_agent(self, subject_id: str, agent_id: str) -> AgentGrant | None:
        doc = await self.agents.find_one({"_id": f"{subject_id}|{agent_id}"})
        return None if doc is None else AgentGrant.model_validate(_strip(doc))

    async def list_agents(self, subject_id: str) -> list[AgentGrant]:
        docs = await self.agents.find({"subject_id": subject_id}).sort("agent_id").to_list(None)
        return [AgentGrant.model_validate(_strip(d)) for d in docs]


_strip = strip_id
