"""In-memory adapters for the notify unit tests (the same ports the Mongo stores implement)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime
from typing import Any

from services.notify.domain import ChannelName, Directory, Officer, SendResult
from services.notify.domain.subjects import subject_update
from services.notify.ports import Doc, Message
from shared.contracts import Envelope


class MemoryProjections:
    def __init__(self) -> None:
        self.cases: dict[str, Doc] = {}
        self.subjects: dict[str, Doc] = {}
        self.stages: dict[str, Doc] = {}
        self.parked: list[tuple[str, Envelope]] = []

    async def save_case(self, doc: Doc) -> bool:
        self.cases[doc["_id"]] = dict(doc)
        self.subjects.setdefault(doc["applicant_id"], {}).update(subject_update(doc))
        return any(c == doc["_id"] for c, _ in self.parked)

    async def get_case(self, case_id: str) -> Doc | None:
        return self.cases.get(case_id)

    async def get_subject(self, subject_id: str) -> Doc | None:
        return self.subjects.get(subject_id)

    async def save_stage(self, stage_id: str, fields: Doc) -> None:
        self.stages.setdefault(stage_id, {}).update(fields)

    async def get_stage(self, stage_id: str) -> Doc | None:
        return self.stages.get(stage_id)

    async def park(self, case_id: str, envelope: Envelope, at: datetime) -> None:
        if all(e.id != envelope.id for _, e in self.parked):
            self.parked.append((case_id, envelope))

    async def parked_events(self, case_id: str) -> list[Envelope]:
        return [e for c, e in self.parked if c == case_id]

    async def drop_parked(self, case_id: str, event_ids: list[str]) -> None:
        self.parked = [(c, e) for c, e in self.parked if e.id not in event_ids]


class MemoryDirectory:
    def __init__(self) -> None:
        self.items: dict[str, Officer] = {}
        self.sources: dict[str, str] = {}
        self.loaded: str | None = None
        self.role_reads = 0  # officers() calls that reached the store

    async def officers(
        self,
        *,
        role: str | None = None,
        department: str | None = None,
        section: str | None = None,
        departments: list[str] | None = None,
    ) -> list[Officer]:
        self.role_reads += 1
        out = []
        for o in sorted(self.items.values(), key=lambda o: o.id):
            if not o.active or (role is not None and role not in o.roles):
                continue
            if department is not None and o.department != department:
                continue
            if department is None and departments is not None and o.department not in departments:
                continue
            if section is not None and o.section != section:
                continue
            out.append(o)
        return out

    async def all_officers(self, department: str | None = None) -> list[Officer]:
        return [
            o
            for o in sorted(self.items.values(), key=lambda o: o.id)
            if department is None or o.department == department
        ]

    async def get_officer(self, officer_id: str) -> Officer | None:
        return self.items.get(officer_id)

    async def upsert_officer(self, officer: Officer, *, source: str, session: Any = None) -> None:
        self.items[officer.id] = officer
        self.sources[officer.id] = source

    async def delete_officer(self, officer_id: str, *, session: Any = None) -> bool:
        self.sources.pop(officer_id, None)
        return self.items.pop(officer_id, None) is not None

    async def officer_ids(self, *, source: str) -> list[str]:
        return sorted(i for i, s in self.sources.items() if s == source)

    async def version(self) -> str | None:
        return self.loaded

    async def save_version(self, directory: Directory) -> None:
        self.loaded = directory.version


class MemoryDeliveries:
    def __init__(self, inbox: MemoryInbox | None = None) -> None:
        self.docs: dict[str, Doc] = {}
        self.events: list[Envelope] = []
        self.inbox = inbox if inbox is not None else MemoryInbox()
        self.transactions = 0  # record() calls that wrote

    async def record(self, docs: list[Doc], *, inbox: list[Doc], events: list[Envelope]) -> bool:
        keys = {(d["event_id"], d["recipient_key"], d["channel"]) for d in self.docs.values()}
        if any(
            d["_id"] in self.docs or (d["event_id"], d["recipient_key"], d["channel"]) in keys
            for d in docs
        ):
            return False  # the transaction aborts on the first duplicate: nothing written
        for doc in docs:
            self.docs[doc["_id"]] = copy.deepcopy(doc)
        for item in inbox:
            await self.inbox.add(item)
        self.events.extend(events)
        self.transactions += 1
        return True

    async def insert(self, docs: list[Doc]) -> list[str]:
        inserted = []
        keys = {(d["event_id"], d["recipient_key"], d["channel"]) for d in self.docs.values()}
        for doc in docs:
            key = (doc["event_id"], doc["recipient_key"], doc["channel"])
            if doc["_id"] in self.docs or key in keys:
                continue
            self.docs[doc["_id"]] = copy.deepcopy(doc)
            keys.add(key)
            inserted.append(doc["_id"])
        return inserted

    async def claim(self, delivery_id: str, *, now: datetime, lease_until: datetime) -> Doc | None:
        d = self.docs.get(delivery_id)
        if d is None or d["status"] != "pending" or d["due_at"] > now or d["lease_until"] > now:
            return None
        d["lease_until"] = lease_until
        return copy.deepcopy(d)

    async def due(self, now: datetime, limit: int) -> list[str]:
        ready = [
            d
            for d in self.docs.values()
            if d["status"] == "pending" and d["due_at"] <= now and d["lease_until"] <= now
        ]
        return [d["_id"] for d in sorted(ready, key=lambda d: d["due_at"])][:limit]

    async def release(self, delivery_id: str, due_at: datetime) -> None:
        self.docs[delivery_id].update(due_at=due_at, lease_until=due_at)

    async def retry_later(
        self, delivery_id: str, *, attempts: int, due_at: datetime, error: str
    ) -> None:
        self.docs[delivery_id].update(
            attempts=attempts, due_at=due_at, lease_until=due_at, last_error=error
        )

    async def finish(
        self,
        delivery_id: str,
        *,
        status: str,
        attempts: int,
        at: datetime,
        error: str | None,
        event: Envelope,
    ) -> None:
        d = self.docs[delivery_id]
        if d["status"] != "pending":
            return
        d.update(status=status, attempts=attempts, last_error=error)
        d["sent_at" if status == "sent" else "failed_at"] = at
        self.events.append(event)

    async def sent_times(self, recipient_key: str, channel: str, since: datetime) -> list[datetime]:
        return [
            d["sent_at"]
            for d in self.docs.values()
            if d["recipient_key"] == recipient_key
            and d["channel"] == channel
            and d["status"] == "sent"
            and d["sent_at"] >= since
        ]

    async def get(self, delivery_id: str) -> Doc | None:
        return self.docs.get(delivery_id)


class MemorySubscriptions:
    def __init__(self) -> None:
        self.items: dict[str, Doc] = {}
        self.reads_by_type = 0  # for_event_type calls that reached the store

    async def add(self, doc: Doc, *, session: Any = None) -> None:
        self.items[doc["_id"]] = copy.deepcopy(doc)

    async def for_event_type(self, event_type: str) -> list[Doc]:
        self.reads_by_type += 1
        return [
            copy.deepcopy(d)
            for d in self.items.values()
            if event_type in d["event_types"] and d["active"]
        ]

    async def get(self, subscription_id: str) -> Doc | None:
        return copy.deepcopy(self.items.get(subscription_id))

    async def owned_by(self, owner: str | None) -> list[Doc]:
        return [
            copy.deepcopy(d) for d in self.items.values() if owner is None or d["owner"] == owner
        ]

    async def delete(self, subscription_id: str, *, session: Any = None) -> bool:
        doc = self.items.get(subscription_id)
        if doc is None or not doc["active"]:
            return False
        doc["active"] = False
        return True

    async def add_secret(self, subscription_id: str, secret: Doc, *, session: Any = None) -> bool:
        doc = self.items.get(subscription_id)
        if doc is None or not doc["active"]:
            return False
        doc["secrets"].append(dict(secret))
        return True

    async def remove_secret(
        self, subscription_id: str, secret_id: str, *, session: Any = None
    ) -> bool:
        doc = self.items.get(subscription_id)
        if doc is None or len(doc["secrets"]) < 2:
            return False
        kept = [s for s in doc["secrets"] if s["id"] != secret_id]
        changed = len(kept) < len(doc["secrets"])
        doc["secrets"] = kept
        return changed


class MemoryIntegrators:
    def __init__(self) -> None:
        self.items: dict[str, Doc] = {}

    async def put(self, doc: Doc, *, session: Any = None) -> None:
        self.items[doc["_id"]] = copy.deepcopy(doc)

    async def get(self, subject: str) -> Doc | None:
        return copy.deepcopy(self.items.get(subject))

    async def all(self) -> list[Doc]:
        return [copy.deepcopy(d) for _, d in sorted(self.items.items())]


class FakeResolver:
    """Host name -> addresses, changeable between calls (DNS rebinding); unknown names fail."""

    def __init__(self, answers: dict[str, list[str]] | None = None) -> None:
        self.answers = dict(answers or {})
        self.asked: list[str] = []

    async def resolve(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        if host not in self.answers:
            raise OSError(f"{host}: Name or service not known")
        return list(self.answers[host])


class FakeChannel:
    """Records what it was asked to send; ``script`` decides the result per message."""

    def __init__(
        self, name: ChannelName, script: Callable[[Message], SendResult] | None = None
    ) -> None:
        self.name = name
        self.sent: list[Message] = []
        self.script = script or (lambda _m: SendResult.sent())

    async def send(self, message: Message) -> SendResult:
        self.sent.append(message)
        return self.script(message)


def by_channel(channels: dict[ChannelName, FakeChannel]) -> dict[str, set[str]]:
    """recipient key -> channels it received on."""
    out: dict[str, set[str]] = {}
    for name, ch in channels.items():
        for m in ch.sent:
            out.setdefault(m.recipient_key, set()).add(name.value)
    return out


def anything(*_: Any) -> None:
    return None


class MemoryInbox:
    def __init__(self) -> None:
        self.items: dict[str, Doc] = {}

    async def add(self, doc: Doc) -> None:
        self.items.setdefault(doc["_id"], dict(doc))

    async def list(self, owner: str, *, unread_only: bool, limit: int) -> list[Doc]:
        docs = [
            d
            for d in self.items.values()
            if d["owner"] == owner and not (unread_only and d.get("read_at"))
        ]
        return sorted(docs, key=lambda d: d["created_at"], reverse=True)[:limit]

    async def mark_read(self, item_id: str, owner: str, at: datetime) -> bool:
        d = self.items.get(item_id)
        if d is None or d["owner"] != owner:
            return False
        d["read_at"] = at
        return True
