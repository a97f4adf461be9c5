"""MongoDB adapter of bundles: definitions (`bundles`) and applications (`bundle_applications`),
whose cases live with every other case (`cases`) and are written in the same transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import DuplicateKeyError

from services.intake.catalog_store import insert_definition, listing, replace_definition
from services.intake.domain import CaseRecord
from services.intake.domain.bundle_case import BundleApplication
from services.intake.domain.bundle_clock import CLOCK_FIELDS
from services.intake.domain.bundles import Bundle
from services.intake.ports import IdempotencyRecord
from services.intake.store import MongoIntakeStore, _case_doc, _strip
from shared.contracts import Envelope
from shared.errors import DuplicateKey
from shared.mongo import Document, in_transaction


class MongoBundleStore:
    def __init__(self, store: MongoIntakeStore) -> None:
        self.store = store
        self.bundles = store.db["bundles"]
        self.applications = store.db["bundle_applications"]

    async def ensure_indexes(self) -> None:
        await self.bundles.create_index([("regions", ASCENDING)])
        await self.applications.create_index([("invited_at", ASCENDING), ("closed_at", ASCENDING)])
        await self.applications.create_index("rectification.due_provisional", sparse=True)
        await self.applications.create_index([("due_provisional", ASCENDING)])

    async def get_bundle(self, code: str) -> Bundle | None:
        doc = await self.bundles.find_one({"_id": code})
        return None if doc is None else Bundle.model_validate(_strip(doc))

    async def list_bundles(self, *, region: str | None, include_closed: bool) -> list[Bundle]:
        query: Document = {"$or": [{"region": region}, {"regions": region}]} if region else {}
        found = self.bundles.find(listing(query, include_closed=include_closed))
        docs = await found.sort("_id", ASCENDING).to_list(None)
        return [Bundle.model_validate(_strip(d)) for d in docs]

    async def stored_bundle(self, code: str) -> Document | None:
        """The bundle as stored, unvalidated (`egov audit verify`)."""
        doc = await self.bundles.find_one({"_id": code})
        return None if doc is None else _strip(doc)

    async def bundle_codes(self) -> list[str]:
        return sorted(str(i) for i in await self.bundles.distinct("_id"))

    async def insert_bundle(self, bundle: Bundle, *, session: Any = None) -> None:
        await insert_definition(self.bundles, bundle, session=session)

    async def replace_bundle(
        self, bundle: Bundle, *, expected_version: int, session: Any = None
    ) -> bool:
        return await replace_definition(
            self.bundles, bundle, expected_version=expected_version, session=session
        )

    async def create_application(
        self,
        app: BundleApplication,
        cases: Sequence[CaseRecord],
        events: Sequence[Envelope],
        *,
        idempotency: IdempotencyRecord | None = None,
        external: tuple[str, str] | None = None,
    ) -> None:
        store = self.store
        now = store.clock.now()

        async def work(session: AsyncClientSession) -> None:
            if idempotency is not None:
                await store.idempotency.insert_one(
                    {
                        "_id": idempotency.key,
                        "fingerprint": idempotency.fingerprint,
                        "case_id": app.bundle_id,
                        "response": idempotency.response,
                        "created_at": now,
                        "expires_at": now + store.idempotency_ttl,
                    },
                    session=session,
                )
            if external is not None:  # the bundle, as an external case is, by its reference
                system, external_id = external
                await store.external.insert_one(
                    {
                        "_id": f"{system}|{external_id}",
                        "source_system": system,
                        "external_id": external_id,
                        "case_id": app.bundle_id,
                        "at": now,
                    },
                    session=session,
                )
            doc = app.model_dump(mode="python")
            await self.applications.insert_one({"_id": app.bundle_id, **doc}, session=session)
            await store.cases.insert_many([_case_doc(c) for c in cases], session=session)
            await store.outbox.add(events, session=session)

        try:
            await in_transaction(store.client, work)
        except DuplicateKeyError as exc:
            raise DuplicateKey(str(exc)) from exc

    async def get_application(self, bundle_id: str) -> BundleApplication | None:
        doc = await self.applications.find_one({"_id": bundle_id})
        return None if doc is None else BundleApplication.model_validate(_strip(doc))

    async def close_application(
        self, bundle_id: str, *, outcome: str, at: datetime, events: Sequence[Envelope]
    ) -> bool:
        return await self._update_with_events(
            {"_id": bundle_id, "closed_at": None},
            {"closed_at": at, "outcome": outcome},
            events,
            changed=True,
        )

    async def update_application(
        self,
        app: BundleApplication,
        *,
        fields: Sequence[str],
        while_unset: str,
        events: Sequence[Envelope],
    ) -> bool:
        written = app.model_dump(mode="python", include=set(fields))
        flt = {"_id": app.bundle_id, while_unset: None}
        return await self._update_with_events(flt, written, events)

    async def update_clock(
        self, app: BundleApplication, *, expected_seq: int, events: Sequence[Envelope]
    ) -> bool:
        written = app.model_dump(mode="python", include=set(CLOCK_FIELDS))
        seq: Document = {"clock_seq": expected_seq}
        if expected_seq == 0:  # an application stored before the clock followed stops
            seq = {"$or": [{"clock_seq": 0}, {"clock_seq": {"$exists": False}}]}
        flt = {"_id": app.bundle_id, "closed_at": None, **seq}
        return await self._update_with_events(flt, written, events)

    async def clocks_to_recompute(self, calendar_version: str) -> list[str]:
        flt = {
            "closed_at": None,
            "due_provisional": True,
            "due_calendar": {"$ne": calendar_version},
        }
        return [str(d["_id"]) async for d in self.applications.find(flt, {"_id": 1})]

    async def find_application_by_rectification(
        self, rectification_id: str
    ) -> BundleApplication | None:
        doc = await self.applications.find_one({"rectification.rectification_id": rectification_id})
        return None if doc is None else BundleApplication.model_validate(_strip(doc))

    async def chained_application_ids(self) -> list[str]:
        found = self.applications.find({"audit_seq": {"$gt": 0}}, {"_id": 1})
        return sorted([str(d["_id"]) async for d in found])

    async def rectifications_to_recompute(self, calendar_version: str) -> list[str]:
        flt = {
            "rectification.closed_at": None,
            "rectification.due_provisional": True,
            "rectification.due_calendar": {"$ne": calendar_version},
        }
        return [str(d["_id"]) async for d in self.applications.find(flt, {"_id": 1})]

    async def finished_uninvited(
        self, *, closed_before: datetime, limit: int
    ) -> list[BundleApplication]:
        closed = {"$ne": None, "$lte": closed_before}
        flt = {"invited_at": None, "rating": None, "closed_at": closed}
        docs = await self.applications.find(flt).limit(limit).to_list(None)
        return [BundleApplication.model_validate(_strip(d)) for d in docs]

    async def mark_invited(
        self, bundle_id: str, *, at: datetime, events: Sequence[Envelope]
    ) -> bool:
        return await self._update_with_events(
            {"_id": bundle_id, "invited_at": None, "rating": None},
            {"invited_at": at},
            events,
            changed=True,
        )

    async def _update_with_events(
        self,
        flt: Document,
        fields: Document,
        events: Sequence[Envelope],
        *,
        changed: bool = False,
    ) -> bool:
        """Set ``fields`` on the application ``flt`` matches and queue ``events`` in the same
        transaction. False, and nothing queued, when none matched (with ``changed``: when none
        was changed, the match already holding those values)."""

        async def work(session: AsyncClientSession) -> bool:
            result = await self.applications.update_one(flt, {"$set": fields}, session=session)
            count = result.modified_count if changed else result.matched_count
            if count != 1:
                return False
            await self.store.outbox.add(events, session=session)
            return True

        return await in_transaction(self.store.client, work)
