"""MongoDB adapter of intake's reference data (a base of services/intake/store.py): the
e-licence registry (`elicences`), the licence PDFs decided cases still owe (`cases`), and the
last known credit status per subject (`credit_cache`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from pymongo import ASCENDING
from pymongo.asynchronous.collection import AsyncCollection

from services.intake.domain.licences import Licence
from shared.contracts import CreditChanged
from shared.mongo import Document

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _fields(doc: Document) -> Document:
    return {k: v for k, v in doc.items() if k != "_id"}


class ReferenceData:
    cases: AsyncCollection[Document]
    licences: AsyncCollection[Document]
    credit: AsyncCollection[Document]

    async def ensure_reference_indexes(self) -> None:
        await self.licences.create_index("holder")
        # Only cases that owe a PDF have a date there (a range query skips the nulls).
        await self.cases.create_index([("licence_document_owed_since", ASCENDING)])

    async def load_licences(self, licences: Sequence[Licence]) -> None:
        for lic in licences:
            await self.save_licence(lic)

    async def save_licence(self, licence: Licence) -> None:
        doc = licence.model_dump(mode="python")
        await self.licences.replace_one(
            {"_id": licence.ref}, {"_id": licence.ref, **doc}, upsert=True
        )

    async def get_licence(self, licence_ref: str) -> Licence | None:
        doc = await self.licences.find_one({"_id": licence_ref})
        return None if doc is None else Licence.model_validate(_fields(doc))

    async def licences_of(self, holder: str) -> list[Licence]:
        docs = await self.licences.find({"holder": holder}).to_list(None)
        return [Licence.model_validate(_fields(d)) for d in docs]

    async def licence_documents_owed(self, *, limit: int) -> list[tuple[str, datetime]]:
        cursor = (
            self.cases.find(
                {"licence_document_owed_since": {"$gte": EPOCH}},
                {"_id": 1, "licence_document_owed_since": 1},
            )
            .sort("licence_document_owed_since", ASCENDING)
            .limit(limit)
        )
        return [(str(d["_id"]), d["licence_document_owed_since"]) async for d in cursor]

    async def remember_credit(self, change: CreditChanged) -> None:
        current = await self.credit.find_one({"_id": change.subject_id}, {"changed_at": 1})
        if current is not None and current["changed_at"] >= change.changed_at:
            return  # an older change arriving late
        await self.credit.replace_one(
            {"_id": change.subject_id},
            {"_id": change.subject_id, **change.model_dump(mode="python")},
            upsert=True,
        )

    async def last_known_credit(self, subject_id: str) -> CreditChanged | None:
        doc = await self.credit.find_one({"_id": subject_id})
        return None if doc is None else CreditChanged.model_validate(_fields(doc))
