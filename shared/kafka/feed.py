"""A projection's feed: a consumer group that reads its topics for the life of the process, hands
each batch to one function and commits after it. What it writes must be idempotent: a failure
(database, broker, a rebalance during a commit) is logged, the consumer rebuilt, and reading
resumes from the last commit, so a batch may be handed over again."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import ConsumerRecord

from shared.kafka.client import connection_kwargs
from shared.settings import ServiceSettings

log = logging.getLogger(__name__)

Batch = list[ConsumerRecord[bytes, bytes]]


async def follow_topics(
    settings: ServiceSettings,
    topics: Sequence[str],
    *,
    group_id: str,
    on_batch: Callable[[Batch], Awaitable[object]],
    on_start: Callable[[], Awaitable[object]] | None = None,
    name: str,
    max_records: int = 500,
    retry_s: float = 5.0,
) -> None:
    """Runs until cancelled and never raises otherwise; ``on_start`` runs after each (re)start
    of the consumer (index creation, say), ``on_batch`` with each non-empty batch in partition
    order, and the offsets are committed only after it returned."""
    while True:
        consumer = AIOKafkaConsumer(
            *topics,
            **connection_kwargs(settings),
            group_id=group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        try:
            await consumer.start()
            if on_start is not None:
                await on_start()
            while True:
                batch = await consumer.getmany(timeout_ms=1000, max_records=max_records)
                messages = [m for ms in batch.values() for m in ms]
                if messages:
                    await on_batch(messages)
                    await consumer.commit()
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - a projection must never stop its process
            log.exception("%s: feed failed; restarting in %s s", name, retry_s)
            await asyncio.sleep(retry_s)
        finally:
            with contextlib.suppress(Exception):
                await consumer.stop()
