"""Transactional outbox.

A handler writes its state change and its outgoing events in one transaction
(:meth:`Outbox.add` with the transaction's session). The relay (shared/mongo/relay.py)
publishes pending events in order and then marks them sent; a crash between publish and mark
publishes again at worst (consumers dedupe by event id), and a crash before publish loses nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from shared.contracts import Envelope, topic_for

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


__all__ = ["Outbox"]
