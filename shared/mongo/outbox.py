"""Transactional outbox.

A handler writes its state change and its outgoing events in one transaction
(:meth:`Outbox.add` with the transaction's session). The relay publishes pending events in
order and then marks them sent; a crash between publish and mark publishes again at worst
(consumers dedupe by event id), and a crash before publish loses nothing.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

from shared.contracts import Envelope, kafka_headers, topic_for
from shared.kafka.producer import KafkaPublisher
from shared.observability.metrics import EVENTS_PRODUCED, OUTBOX_PENDING, OUTBOX_PUBLISHED

log = logging.getLogger(__name__)

DUPLICATE_KEY = 11000


class Outbox:
    def __init__(self, db: AsyncDatabase[Any], collection: str = "outbox") -> None:
        self.col = db[collection]

    async def ensure_indexes(self) -> None:
        await self.col.create_index([("sent", ASCENDING), ("seq", ASCENDING)])
        await self.col.create_index("sent_at", expireAfterSeconds=7 * 86400)

    async def add(
        self, envelopes: Iterable[Envelope], *, session: AsyncClientSession | None
    ) -> None:
        docs = []
        base = time.time_ns()
        for i, env in enumerate(envelopes):
            docs.append(
                {
                    "_id": env.id,
                    "seq": base + i,
                    "topic": topic_for(env.type),
                    "key": env.subject,
                    "type": env.type,
                    "value": env.to_json_bytes(),
                    "sent": False,
                    "created_at": datetime.now(UTC),
                }
            )
        if not docs:
            return
        # One round trip for all of a change's events (an audit checkpoint rides along).
        try:
            await self.col.insert_many(docs, ordered=False, session=session)
        except BulkWriteError as exc:
            # Same deterministic event id written twice: it is already pending or sent.
            errors = exc.details.get("writeErrors", [])
            if not errors or any(e.get("code") != DUPLICATE_KEY for e in errors):
                raise

    async def pending(self) -> int:
        return await self.col.count_documents({"sent": False})


class OutboxRelay:
    """Publishes pending outbox events. With several replicas, a lease lets one relay run."""

    def __init__(
        self,
        db: AsyncDatabase[Any],
        publisher: KafkaPublisher,
        *,
        service: str,
        owner: str,
        poll_s: float = 0.2,
        batch: int = 200,
        lease_s: float = 10.0,
        collection: str = "outbox",
    ) -> None:
        self.outbox = Outbox(db, collection)
        self.locks = db["locks"]
        self.publisher = publisher
        self.service = service
        self.owner = owner
        self.poll_s = poll_s
        self.batch = batch
        self.lease_s = lease_s
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    def wake(self) -> None:
        """Called after a local write so the event goes out without waiting for the poll."""
        self._wake.set()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"outbox-relay:{self.service}")

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass

    async def _acquire_lease(self) -> bool:
        now = datetime.now(UTC)
        try:
            doc = await self.locks.find_one_and_update(
                {
                    "_id": "outbox-relay",
                    "$or": [{"owner": self.owner}, {"expires": {"$lt": now}}],
                },
                {"$set": {"owner": self.owner, "expires": now + timedelta(seconds=self.lease_s)}},
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )
        except DuplicateKeyError:
            return False  # another relay holds a live lease
        return doc is not None and doc.get("owner") == self.owner

    async def run_once(self) -> int:
        """Publish one batch; returns how many events went out."""
        docs = (
            await self.outbox.col.find({"sent": False}).sort("seq", ASCENDING).to_list(self.batch)
        )
        if not docs:
            OUTBOX_PENDING.labels(self.service).set(0)
            return 0
        futures = []
        producer = self.publisher.producer
        for doc in docs:
            futures.append(
                await producer.send(
                    doc["topic"],
                    value=bytes(doc["value"]),
                    key=doc["key"].encode(),
                    headers=kafka_headers(),
                )
            )
        for fut in futures:
            await fut
        await self.outbox.col.update_many(
            {"_id": {"$in": [d["_id"] for d in docs]}},
            {"$set": {"sent": True, "sent_at": datetime.now(UTC)}},
        )
        for doc in docs:
            EVENTS_PRODUCED.labels(self.service, doc["type"]).inc()
        OUTBOX_PUBLISHED.labels(self.service).inc(len(docs))
        return len(docs)

    async def _run(self) -> None:
        delay = self.poll_s
        while not self._stopping:
            try:
                if await self._acquire_lease():
                    sent = await self.run_once()
                    if sent >= self.batch:
                        continue  # more waiting: go again at once
                    OUTBOX_PENDING.labels(self.service).set(
                        0 if sent == 0 else await self.outbox.pending()
                    )
                delay = self.poll_s
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the relay must survive broker/db hiccups
                log.warning("outbox relay error, retrying in %.1fs: %s", delay, exc)
                delay = min(delay * 2, 5.0)
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), delay)
            except TimeoutError:
                pass


__all__ = ["Outbox", "OutboxRelay"]
