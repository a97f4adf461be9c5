"""The consumer loop every service uses.

For each message: size check, JSON and envelope validation, type lookup, the type's topic
(``may_arrive_on``: handlers are chosen by type alone), payload validation, deduplication by
(source, id), the handler with retries, then commit. Anything that cannot be handled goes to the
dead-letter topic with its original bytes and the reason; the loop carries on.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Protocol

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError

from shared.clock import Clock
from shared.contracts import (
    DEAD_LETTER_TOPIC,
    Envelope,
    EventData,
)
from shared.jobs import stop_task
from shared.kafka.batch import handle_batch
from shared.kafka.client import connection_kwargs
from shared.kafka.deadletter import DeadLetterReason
from shared.kafka.dedupe import DedupeStore
from shared.kafka.pipeline import Refused, dead_letter, dead_lettered, decode
from shared.observability.logging import correlation_id
from shared.observability.metrics import (
    CONSUMER_LAG,
    EVENTS_CONSUMED,
    EVENTS_FAILED,
    HANDLER_LATENCY,
)
from shared.settings import ServiceSettings

log = logging.getLogger(__name__)

Handler = Callable[[Envelope, Any], Awaitable[None]]


class PermanentError(Exception):
    """Raised by a handler for a message that can never succeed (dead-lettered at once)."""


class RawSender(Protocol):
    async def send_raw(
        self, topic: str, key: bytes | None, value: bytes, headers: Sequence[tuple[str, bytes]] = ()
    ) -> None: ...


class Record(Protocol):
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Sequence[tuple[str, bytes]]


class EventConsumer:
    def __init__(
        self,
        *,
        settings: ServiceSettings,
        group_id: str,
        topics: Sequence[str],
        handlers: Mapping[str, Handler],
        sender: RawSender,
        dedupe: DedupeStore,
        clock: Clock,
        name: str | None = None,
    ) -> None:
        self.settings = settings
        self.service = settings.service_name
        self.group_id = group_id
        self.topics = list(topics)
        self.handlers = dict(handlers)
        self.sender = sender
        self.dedupe = dedupe
        self.clock = clock
        self.name = name or group_id
        self.concurrency = max(1, settings.consumer_concurrency)
        self.assigned = asyncio.Event()
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    # -- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        consumer = AIOKafkaConsumer(
            **connection_kwargs(self.settings),
            group_id=self.group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_partition_fetch_bytes=max(self.settings.kafka_max_message_bytes * 2, 1_048_576),
            fetch_max_bytes=max(self.settings.kafka_max_message_bytes * 4, 52_428_800),
        )
        await consumer.start()
        consumer.subscribe(self.topics, listener=_Listener(self))
        self._consumer = consumer
        self._task = asyncio.create_task(self._run(), name=f"consumer:{self.name}")

    async def stop(self) -> None:
        self._stopping = True
        await stop_task(self._task)
        self._task = None
        if self._consumer is not None:
            await self._consumer.stop()
            self._consumer = None

    async def wait_assigned(self, within_s: float = 60.0) -> None:
        await asyncio.wait_for(self.assigned.wait(), within_s)

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def _run(self) -> None:
        assert self._consumer is not None
        consumer = self._consumer
        while not self._stopping:
            try:
                batch = await consumer.getmany(timeout_ms=500, max_records=500)
            except KafkaError as exc:
                log.warning("fetch failed, retrying: %s", exc)
                await asyncio.sleep(1)
                continue
            offsets, error = await self.handle(batch)
            if offsets:
                try:
                    await consumer.commit(offsets)
                except (CommitFailedError, KafkaError) as exc:
                    # A rebalance took the partition; the new owner re-reads and dedupes.
                    log.warning("commit failed (%s); events will be redelivered", exc)
            if error is not None:
                raise error
            await self._record_lag(consumer)

    async def handle(
        self, batch: Mapping[TopicPartition, Sequence[Record]]
    ) -> tuple[dict[TopicPartition, int], BaseException | None]:
        """Handle a fetched batch; the offsets to commit and the failure that stopped it.
        One record at a time in fetch order, or with ``consumer_concurrency`` above 1 the
        records of different keys at once (shared/kafka/batch.py)."""
        if self.concurrency > 1:
            return await handle_batch(batch, self.process, concurrency=self.concurrency)
        offsets: dict[TopicPartition, int] = {}
        for tp, records in batch.items():
            for record in records:
                await self.process(record)
                offsets[tp] = record.offset + 1
        return offsets, None

    async def _record_lag(self, consumer: AIOKafkaConsumer) -> None:
        for tp in consumer.assignment():
            high = consumer.highwater(tp)
            if high is None:
                continue
            try:
                position = await asyncio.wait_for(consumer.position(tp), 1.0)
            except Exception:  # noqa: BLE001 - lag is best effort
                continue
            CONSUMER_LAG.labels(self.service, tp.topic, str(tp.partition)).set(
                max(high - position, 0)
            )

    # -- one message ----------------------------------------------------------------------

    async def process(self, record: Record) -> str:
        """Handle one record; never raises. Returns the outcome label."""
        decoded = decode(
            record.topic, record.value or b"", max_bytes=self.settings.kafka_max_message_bytes
        )
        if isinstance(decoded, Refused):
            return await self._dead_letter(record, decoded)
        envelope, data = decoded.envelope, decoded.data
        handler = self.handlers.get(envelope.type)
        if handler is None:
            EVENTS_CONSUMED.labels(self.service, envelope.type, "ignored").inc()
            return "ignored"
        # The source is authenticated by now (an ingress topic's publisher, or a platform topic
        # only the platform's own principals write), so a publisher cannot collide with another.
        dedupe_key = f"{envelope.source}|{envelope.id}"
        if await self._retrying(lambda: self.dedupe.seen(self.name, dedupe_key)):
            EVENTS_CONSUMED.labels(self.service, envelope.type, "duplicate").inc()
            return "duplicate"
        token = correlation_id.set(envelope.correlationid)
        try:
            error = await self._call_with_retries(handler, envelope, data)
        finally:
            correlation_id.reset(token)
        if error is not None:
            reason, text = error
            return await self._dead_letter(record, Refused(reason, text, envelope.type))
        await self._retrying(lambda: self.dedupe.mark(self.name, dedupe_key, self.clock.now()))
        EVENTS_CONSUMED.labels(self.service, envelope.type, "handled").inc()
        return "handled"

    async def _call_with_retries(
        self, handler: Handler, envelope: Envelope, data: EventData
    ) -> tuple[DeadLetterReason, str] | None:
        attempts = max(1, self.settings.consumer_max_retries)
        delay = self.settings.consumer_retry_backoff_s
        last = ""
        for attempt in range(1, attempts + 1):
            started = time.perf_counter()
            try:
                await handler(envelope, data)
                HANDLER_LATENCY.labels(self.service, envelope.type).observe(
                    time.perf_counter() - started
                )
                return None
            except PermanentError as exc:
                EVENTS_FAILED.labels(self.service, envelope.type).inc()
                return DeadLetterReason.REJECTED, str(exc) or type(exc).__name__
            except Exception as exc:  # noqa: BLE001 - isolate one bad message
                EVENTS_FAILED.labels(self.service, envelope.type).inc()
                last = f"{type(exc).__name__}: {exc}"
                log.warning(
                    "handler for %s failed (attempt %d/%d): %s",
                    envelope.type,
                    attempt,
                    attempts,
                    last,
                    exc_info=attempt == attempts,
                )
                if attempt < attempts:
                    await asyncio.sleep(delay)
                    delay *= 2
        return DeadLetterReason.HANDLER_FAILED, f"after {attempts} attempts: {last}"

    async def _retrying(self, op: Callable[[], Awaitable[Any]]) -> Any:
        """Infrastructure calls (dedupe store, dead-letter write) retry until they succeed:
        giving up would lose the message."""
        delay = 0.2
        while True:
            try:
                return await op()
            except Exception as exc:  # noqa: BLE001
                if self._stopping:
                    raise
                log.warning("infrastructure call failed, retrying in %.1fs: %s", delay, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10)

    async def _dead_letter(self, record: Record, refused: Refused) -> str:
        letter = dead_letter(
            refused,
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            key=record.key,
            value=record.value or b"",
            headers=record.headers or (),
            consumer=self.name,
            failed_at=self.clock.now(),
        )
        await self._retrying(
            lambda: self.sender.send_raw(
                DEAD_LETTER_TOPIC, letter.key, letter.value, letter.headers()
            )
        )
        dead_lettered(self.service, letter)
        return "dead_lettered"


class _Listener(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, owner: EventConsumer) -> None:
        self.owner = owner

    async def on_partitions_revoked(self, revoked: Any) -> None:
        return None

    async def on_partitions_assigned(self, assigned: Any) -> None:
        self.owner.assigned.set()
