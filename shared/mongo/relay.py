"""The outbox relay: publishes pending outbox events in order, then marks them sent.

With several replicas a lease (``locks``, ``outbox-relay``) lets one relay publish; it is renewed
once less than half of it is left, not on every batch. An idle relay leaves MongoDB alone (issue
22). It is woken

- by this process, after a transaction that wrote to the outbox (:meth:`OutboxRelay.wake`);
- by a change stream on the outbox, for what any process inserted (a MongoDB replica set or
  SecantusDB; an insert is notified when its transaction commits),

and polls every ``idle_poll_s`` only as a safety net (and to renew the lease). Without a change
stream (a standalone server, a user without the privilege) it polls from ``poll_s``, doubling
while nothing comes up to ``idle_poll_s``, back to ``poll_s`` as soon as something does. Another
replica takes the lease over at most ``lease_s`` + ``idle_poll_s`` after the holder stopped.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from shared.contracts import kafka_headers
from shared.jobs import stop_task
from shared.kafka.producer import KafkaPublisher
from shared.mongo.outbox import Outbox
from shared.observability.metrics import EVENTS_PRODUCED, OUTBOX_PENDING, OUTBOX_PUBLISHED

log = logging.getLogger(__name__)

# Inserts only, and of each just its id (the resume token, ``_id``, always stays).
INSERTS: list[dict[str, Any]] = [
    {"$match": {"operationType": "insert"}},
    {"$project": {"documentKey": 1}},
]
WATCH_RETRY_S = 30.0  # after the change stream failed or is not supported
ERROR_DELAY_MAX_S = 5.0


class OutboxRelay:
    def __init__(
        self,
        db: AsyncDatabase[Any],
        publisher: KafkaPublisher,
        *,
        service: str,
        owner: str,
        poll_s: float = 0.2,
        idle_poll_s: float = 5.0,
        batch: int = 200,
        lease_s: float = 10.0,
        collection: str = "outbox",
        change_stream: bool = True,
    ) -> None:
        self.outbox = Outbox(db, collection)
        self.locks = db["locks"]
        self.publisher = publisher
        self.service = service
        self.owner = owner
        self.poll_s = poll_s
        self.idle_poll_s = max(idle_poll_s, poll_s)
        self.batch = batch
        self.lease_s = lease_s
        self.change_stream = change_stream
        self.watching = False  # the change stream is open
        self._wake = asyncio.Event()
        self._asked = False  # wake() called since the last run began
        self._notified: set[Any] = set()  # inserts the change stream told of, not yet read
        self._seen: dict[Any, None] = {}  # ids of the recent runs' events (bounded)
        self._lease_until = 0.0  # time.monotonic() until which this relay holds the lease
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False

    def wake(self) -> None:
        """Called after a local write so the event goes out without waiting for the poll."""
        self._asked = True
        self._wake.set()

    async def start(self) -> None:
        # Both tasks carry the relay's name: their commands count as the relay's (commands.py).
        name = f"outbox-relay:{self.service}"
        self._tasks.append(asyncio.create_task(self._run(), name=name))
        if self.change_stream:
            self._tasks.append(asyncio.create_task(self._watch(), name=name))

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        for task in self._tasks:
            await stop_task(task)

    # -- the lease ----------------------------------------------------------------------------

    def _holding(self) -> bool:
        return time.monotonic() < self._lease_until

    async def _hold_lease(self) -> bool:
        """Whether this relay holds the lease, renewing it once less than half is left."""
        if time.monotonic() < self._lease_until - self.lease_s / 2:
            return True
        asked_at = time.monotonic()
        held = await self._acquire_lease()
        self._lease_until = asked_at + self.lease_s if held else 0.0
        return held

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

    # -- publishing ---------------------------------------------------------------------------

    async def run_once(self) -> int:
        """Publish one batch; returns how many events went out."""
        docs = (
            await self.outbox.col.find({"sent": False}).sort("seq", ASCENDING).to_list(self.batch)
        )
        if not docs:
            OUTBOX_PENDING.labels(self.service).set(0)
            return 0
        self._saw(d["_id"] for d in docs)
        producer = self.publisher.producer
        futures = [
            await producer.send(
                doc["topic"],
                value=bytes(doc["value"]),
                key=doc["key"].encode(),
                headers=kafka_headers(),
            )
            for doc in docs
        ]
        for fut in futures:
            await fut
        await self.outbox.col.update_many(
            {"_id": {"$in": [d["_id"] for d in docs]}},
            {"$set": {"sent": True, "sent_at": datetime.now(UTC)}},
        )
        for doc in docs:
            EVENTS_PRODUCED.labels(self.service, doc["type"]).inc()
        OUTBOX_PUBLISHED.labels(self.service).inc(len(docs))
        # A short batch took all that was pending: counting is only worth it for a backlog.
        backlog = await self.outbox.pending() if len(docs) >= self.batch else 0
        OUTBOX_PENDING.labels(self.service).set(backlog)
        return len(docs)

    def _saw(self, ids: Iterable[Any]) -> None:
        for doc_id in ids:
            self._seen[doc_id] = None
        for old in list(self._seen)[: max(len(self._seen) - 4 * self.batch, 0)]:
            del self._seen[old]

    async def _run(self) -> None:
        delay = self.poll_s
        while not self._stopping:
            self._wake.clear()
            self._asked = False
            self._notified.clear()
            try:
                sent = await self.run_once() if await self._hold_lease() else 0
                if sent >= self.batch:
                    continue  # more waiting: go again at once
                delay = self._next_delay(delay, sent)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the relay must survive broker/db hiccups
                log.warning("outbox relay error, retrying in %.1fs: %s", delay, exc)
                delay = min(delay * 2, ERROR_DELAY_MAX_S)
            self._notified.difference_update(self._seen)
            if not (self._asked or self._notified):
                self._wake.clear()  # told only of what this run has just published
            try:
                await asyncio.wait_for(self._wake.wait(), delay)
            except TimeoutError:
                pass

    def _next_delay(self, delay: float, sent: int) -> float:
        if self.watching:
            return self.idle_poll_s
        return self.poll_s if sent else min(delay * 2, self.idle_poll_s)

    # -- the change stream --------------------------------------------------------------------

    async def _watch(self) -> None:
        while not self._stopping:
            try:
                await self._follow_inserts()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - polling goes on without the stream
                log.warning(
                    "outbox change stream unavailable, polling up to every %.1fs: %s",
                    self.idle_poll_s,
                    exc,
                )
            finally:
                self.watching = False
            await asyncio.sleep(WATCH_RETRY_S)

    async def _follow_inserts(self) -> None:
        max_await_ms = int(self.idle_poll_s * 1000)
        async with await self.outbox.col.watch(INSERTS, max_await_time_ms=max_await_ms) as stream:
            self.watching = True
            self.wake()  # what was inserted before the stream opened
            while stream.alive and not self._stopping:
                change = await stream.try_next()  # one getMore, waiting up to idle_poll_s
                if change is None:
                    # SecantusDB ends a waiting getMore at any write to any collection: under
                    # load, at most one getMore per poll_s (a notification waits that long).
                    await asyncio.sleep(self.poll_s)
                    continue
                doc_id = (change.get("documentKey") or {}).get("_id")
                if self._holding() and doc_id not in self._seen:
                    self._notified.add(doc_id)
                    self._wake.set()


__all__ = ["OutboxRelay"]
