"""MongoDB adapter: cases, their work-list rows and their hash-chained timeline, written with
the outgoing events in one transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from services.approval.domain import Case, Stage, StaleVersion
from services.approval.domain.archive import is_finished
from services.approval.domain.stages import clock_of
from services.approval.ports import TaskQuery
from shared.contracts import Envelope
from shared.mongo import Outbox, in_transaction

_STATES = {
    "active": {"$in": ["open", "suspended"]},
    "open": "open",
    "suspended": "suspended",
    "closed": "closed",
}


def case_to_doc(case: Case) -> dict[str, Any]:
    # JSON mode keeps microseconds (BSON dates keep milliseconds) so a reload is exact.
    doc = case.model_dump(mode="json")
    doc["stages"] = list(doc["stages"].values())  # stage ids are not safe as field names
    doc["_id"] = case.case_id
    # What the archive's sweeps look up (BSON dates, unlike the JSON text above): a finished
    # case not sealed yet, and the instant a sealed dossier without a hold may go.
    doc["archive_due"] = case.archive is None and is_finished(case)
    archive = case.archive
    held = archive is None or archive.legal_hold is not None or archive.purged_at is not None
    doc["retain_until"] = archive.retain_until if archive is not None and not held else None
    return doc


def case_from_doc(doc: dict[str, Any]) -> Case:
    doc = dict(doc)
    for derived in ("_id", "archive_due", "retain_until"):
        doc.pop(derived, None)
    doc["stages"] = {s["stage_id"]: s for s in doc.get("stages", [])}
    return Case.model_validate(doc)


def task_row(case: Case, stage: Stage) -> dict[str, Any]:
    """What the store keeps per stage so that the work list is one indexed query."""
    suspension = stage.current_suspension
    return {
        "_id": stage.stage_id,
        "case_id": case.case_id,
        "case_version": case.version,
        "case_status": case.status.value,
        "item_code": case.item_code,
        "item_name": case.item_name,
        "stage": stage.kind.value,
        "name": stage.name,
        "department": stage.department,
        "region": stage.region,
        "required_role": stage.required_role,
        "assignee": stage.assignee,
        "signed_in_at": stage.signed_in_at,
        "state": stage.state.value,
        "is_parent": stage.is_parent,
        "case_clock": stage.is_case_clock,
        "parent_stage_id": stage.parent_stage_id,
        "parallel_mode": stage.parallel_mode.value if stage.parallel_mode else None,
        "opened_at": stage.opened_at,
        "due_at": stage.due_at,
        "clock_since": clock_of(stage).running_since(),
        "due_provisional": stage.due_provisional
        or any(s.ends_provisional for s in stage.suspensions if s.ended_at is None),
        "due_calendar": stage.due_calendar,
        "limit": stage.limit.model_dump(mode="json"),
        "suspension_reason": suspension.reason if suspension else None,
        "suspended_at": suspension.started_at if suspension else None,
        "suspension_ends_by": suspension.ends_by if suspension else None,
        "suspension_max": suspension.max_length.model_dump(mode="json")
        if suspension and suspension.max_length
        else None,
        "remaining_s": suspension.remaining_s if suspension else None,
    }


class MongoCaseStore:
    def __init__(
        self,
        client: AsyncMongoClient[dict[str, Any]],
        db: AsyncDatabase[dict[str, Any]],
        outbox: Outbox,
    ) -> None:
        self.client = client
        self.cases = db["cases"]
        self.task_rows = db["tasks"]
        self.entries = db["timeline"]
        self.outbox = outbox

    async def ensure_indexes(self) -> None:
        await self.task_rows.create_index(
            [("department", ASCENDING), ("state", ASCENDING), ("due_at", ASCENDING)]
        )
        await self.task_rows.create_index([("assignee", ASCENDING), ("state", ASCENDING)])
        await self.task_rows.create_index("case_id")
        await self.task_rows.create_index([("due_provisional", ASCENDING), ("state", ASCENDING)])
        await self.entries.create_index([("case_id", ASCENDING), ("seq", ASCENDING)], unique=True)
        await self.cases.create_index("archive_due", partialFilterExpression={"archive_due": True})
        await self.cases.create_index("retain_until", sparse=True)

    async def get(self, case_id: str) -> Case | None:
        doc = await self.cases.find_one({"_id": case_id})
        return case_from_doc(doc) if doc else None

    async def _write_rest(
        self,
        s: AsyncClientSession,
        case: Case,
        entries: list[dict[str, Any]],
        envelopes: list[Envelope],
    ) -> None:
        for stage in case.stages.values():
            row = task_row(case, stage)
            await self.task_rows.replace_one({"_id": row["_id"]}, row, upsert=True, session=s)
        docs = []
        for entry in entries:
            doc = dict(entry)
            doc["_id"] = f"{case.case_id}:{entry['seq']:08d}"
            docs.append(doc)
        if docs:
            # One round trip for the change's entries (a submission opens with three).
            await self.entries.insert_many(docs, session=s)
        await self.outbox.add(envelopes, session=s)

    async def create(
        self, case: Case, entries: list[dict[str, Any]], envelopes: list[Envelope]
    ) -> bool:
        async def work(s: AsyncClientSession) -> None:
            await self.cases.insert_one(case_to_doc(case), session=s)
            await self._write_rest(s, case, entries, envelopes)

        try:
            await in_transaction(self.client, work)
        except DuplicateKeyError:
            return False
        return True

    async def update(
        self,
        case: Case,
        expected_version: int,
        entries: list[dict[str, Any]],
        envelopes: list[Envelope],
    ) -> None:
        # The chain's head as read: a fetch of a material moves it without a new version, so a
        # concurrent change is caught by either (ports.CaseStore.update).
        read_head = case.audit_seq - len(entries)

        async def work(s: AsyncClientSession) -> None:
            result = await self.cases.replace_one(
                {"_id": case.case_id, "version": expected_version, "audit_seq": read_head},
                case_to_doc(case),
                session=s,
            )
            if result.matched_count == 0:
                current = await self.cases.find_one(
                    {"_id": case.case_id}, {"version": 1}, session=s
                )
                raise StaleVersion(
                    "case",
                    expected=expected_version,
                    current=int((current or {}).get("version", -1)),
                )
            await self._write_rest(s, case, entries, envelopes)

        await in_transaction(self.client, work)

    async def tasks(self, query: TaskQuery) -> tuple[list[dict[str, Any]], int]:
        flt: dict[str, Any] = {
            "is_parent": False,
            "case_clock": {"$ne": True},  # the case's own limits: nobody's task
            "state": _STATES[query.status],
        }
        for field in ("department", "region", "assignee", "stage"):
            value = getattr(query, field)
            if value is not None:
                flt[field] = value
        total = await self.task_rows.count_documents(flt)
        cursor = (
            self.task_rows.find(flt)
            .sort([("due_at", ASCENDING), ("_id", ASCENDING)])
            .skip(query.offset)
            .limit(query.limit)
        )
        return await cursor.to_list(query.limit), total

    async def timeline(self, case_id: str) -> list[dict[str, Any]]:
        cursor = self.entries.find({"case_id": case_id}).sort("seq", ASCENDING)
        return [{k: v for k, v in d.items() if k != "_id"} async for d in cursor]

    async def case_ids(self) -> list[str]:
        """Every case with a record or a timeline entry (for `egov audit verify --all`)."""
        found = set(await self.cases.distinct("_id"))
        return sorted(found | set(await self.entries.distinct("case_id")))

    async def open_stage_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        flt = {
            "state": {"$in": ["open", "suspended"]},
            "is_parent": False,
            "case_clock": {"$ne": True},
        }
        async for row in self.task_rows.find(flt, {"department": 1}):
            counts[row["department"]] = counts.get(row["department"], 0) + 1
        return counts

    async def supplement_waits_past(self, now: datetime) -> list[str]:
        """Cases whose applicant has not supplemented by the wait's maximum."""
        flt = {
            "state": "suspended",
            "suspension_reason": "supplement",
            "suspension_ends_by": {"$lt": now},
        }
        return sorted({row["case_id"] async for row in self.task_rows.find(flt, {"case_id": 1})})

    async def owed_deadlines_past(self, now: datetime) -> list[str]:
        flt = {"state": "open", "stage": "owed_materials", "due_at": {"$lt": now}}
        return sorted({row["case_id"] async for row in self.task_rows.find(flt, {"case_id": 1})})

    async def cases_to_seal(self) -> list[str]:
        return sorted([d["_id"] async for d in self.cases.find({"archive_due": True}, {"_id": 1})])

    async def archives_expired(self, now: datetime) -> list[str]:
        flt = {"retain_until": {"$ne": None, "$lte": now}}
        return sorted([d["_id"] async for d in self.cases.find(flt, {"_id": 1})])

    async def cases_to_recompute(self, calendar_version: str) -> list[str]:
        """Cases with an open deadline that is provisional on another calendar version."""
        flt = {
            "state": {"$in": ["open", "suspended"]},
            "due_provisional": True,
            "due_calendar": {"$ne": calendar_version},
        }
        found = {row["case_id"] async for row in self.task_rows.find(flt, {"case_id": 1})}
        return sorted(found)
