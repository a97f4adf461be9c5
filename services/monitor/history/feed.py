"""Feeds the history from the bus: a follower with its own consumer group (every event folded
once whichever worker reads it), and the replay behind `egov assess rebuild`.

What the feed cannot read goes to the dead-letter topic once, from the one consumer group that
reads its topic: the history's own group for ``egov.catalog`` (no other consumer reads it), the
services' consumers for the other topics (the feed skips garbage there: a second dead letter of
the same message would say nothing new). ``egov.calendar`` is not read here: every process reads
it groupless (shared/calendar/feed.py), which skips and counts a message that is no schedule.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Sequence

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from services.monitor.history.metrics import count
from services.monitor.history.store import MongoHistory
from services.monitor.settings import MonitorSettings
from shared.calendar.timing import Calendar
from shared.clock import SHANGHAI, Clock, SystemClock
from shared.contracts import (
    DEAD_LETTER_TOPIC,
    T_CASES,
    T_CATALOG,
    T_STAGES,
    T_SUPERVISION,
    Envelope,
    types_on_topic,
)
from shared.kafka.client import connection_kwargs
from shared.kafka.consumer import RawSender
from shared.kafka.feed import Batch, follow_topics
from shared.kafka.offsets import verified_end_offsets
from shared.kafka.pipeline import Refused, dead_letter, dead_lettered, decode
from shared.kafka.producer import KafkaPublisher
from shared.observability.metrics import EVENTS_CONSUMED
from shared.settings import ServiceSettings

log = logging.getLogger(__name__)
# The catalog (compacted: every item's latest definition) is read from its beginning by the
# same group: the statistics count the items offered online and zero-visit (catalog.py).
HISTORY_TOPICS = (T_CASES, T_STAGES, T_SUPERVISION, T_CATALOG)
DEAD_LETTERED_HERE = frozenset({T_CATALOG})  # the topics this group alone reads (see above)
OWN_TYPES = frozenset(t for topic in DEAD_LETTERED_HERE for t in types_on_topic(topic))
RETRY_S = 5.0
BATCH = 500
QUIET_ROUNDS = 5  # empty fetches of a second before a partition counts as holding no event


def envelopes(messages: list[ConsumerRecord[bytes, bytes]]) -> list[Envelope]:
    out = []
    for message in messages:
        try:
            out.append(Envelope.from_json_bytes(message.value or b""))
        except ValueError as exc:  # the primary consumers dead-letter it
            log.warning("history: message skipped: %s", exc)
    return out


class Reader:
    """The envelopes of a batch the feed folds. A message of a topic this group dead-letters is
    decoded and validated by the shared pipeline (shared.kafka.pipeline: the reasons and headers
    of every consumer) and what it refuses is sent to the dead-letter topic before the batch is
    folded; a failed send fails the batch, which is read again (folding is idempotent)."""

    def __init__(
        self, sender: RawSender, *, service: str, consumer: str, max_bytes: int, clock: Clock
    ) -> None:
        self.sender, self.service, self.consumer = sender, service, consumer
        self.max_bytes, self.clock = max_bytes, clock

    async def envelopes(self, messages: Batch) -> list[Envelope]:
        out = []
        for message in messages:
            if message.topic not in DEAD_LETTERED_HERE:
                out += envelopes([message])
                continue
            decoded = decode(message.topic, message.value or b"", max_bytes=self.max_bytes)
            if isinstance(decoded, Refused):
                await self._dead_letter(message, decoded)
            else:
                out.append(decoded.envelope)
        return out

    def handled(self, folded: Sequence[Envelope]) -> None:
        """Counts the events of the topics this group alone reads once they are folded (the
        other topics' events are counted by their services' consumers)."""
        for envelope in folded:
            if envelope.type in OWN_TYPES:
                EVENTS_CONSUMED.labels(self.service, envelope.type, "handled").inc()

    async def _dead_letter(self, message: ConsumerRecord[bytes, bytes], refused: Refused) -> None:
        letter = dead_letter(
            refused,
            topic=message.topic,
            partition=message.partition,
            offset=message.offset,
            key=message.key,
            value=message.value or b"",
            headers=message.headers or (),
            consumer=self.consumer,
            failed_at=self.clock.now(),
        )
        await self.sender.send_raw(DEAD_LETTER_TOPIC, letter.key, letter.value, letter.headers())
        dead_lettered(self.service, letter)


def reader_for(settings: MonitorSettings, sender: RawSender, clock: Clock) -> Reader:
    """The feed's reader: its dead letters name the monitor as every monitor consumer's do."""
    return Reader(
        sender,
        service=settings.service_name,
        consumer=settings.monitor_app_id,
        max_bytes=settings.kafka_max_message_bytes,
        clock=clock,
    )


class OnDemandSender:
    """The feed's own producer, started at its first dead letter (most runs send none)."""

    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings
        self.publisher = KafkaPublisher(settings)

    async def send_raw(
        self, topic: str, key: bytes | None, value: bytes, headers: Sequence[tuple[str, bytes]] = ()
    ) -> None:
        try:
            await self.publisher.start()
            await self.publisher.send_raw(topic, key, value, headers)
        except Exception:
            await self.stop()  # started again at the next send
            raise

    async def stop(self) -> None:
        with contextlib.suppress(Exception):
            await self.publisher.stop()
        self.publisher = KafkaPublisher(self.settings)  # a failed start leaves the old half set


async def follow(
    settings: MonitorSettings, history: MongoHistory, calendar: Calendar, *, group_id: str
) -> None:
    """Runs for the life of the worker and never raises (shared.kafka.feed): folding is
    idempotent, so a batch handed over again after a failure changes nothing."""
    sender = OnDemandSender(settings)
    reader = reader_for(settings, sender, SystemClock())

    async def on_batch(messages: Batch) -> None:
        found = await reader.envelopes(messages)
        folded = await history.apply(found, calendar)
        count(folded.deltas)  # after the transaction: what the history now holds
        reader.handled(found)

    try:
        await follow_topics(
            settings,
            HISTORY_TOPICS,
            group_id=group_id,
            on_batch=on_batch,
            on_start=history.start,
            name="history",
            max_records=BATCH,
        )
    finally:
        await sender.stop()


async def replay(
    settings: ServiceSettings,
    history: MongoHistory,
    calendar: Calendar,
    *,
    before_folding: Callable[[str | None], None] | None = None,
) -> int:
    """Fold every event the topics still hold, from their beginning up to their end when the
    replay starts; returns the number of messages read. ``before_folding`` receives the day of
    the oldest event retained (None when the topics are empty) before anything is written, and
    may raise to stop (the rebuild's check that the topics still hold the whole history)."""
    consumer = AIOKafkaConsumer(
        **connection_kwargs(settings), enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        parts = [
            TopicPartition(t, p)
            for t in HISTORY_TOPICS
            for p in sorted(consumer.partitions_for_topic(t) or await _partitions(consumer, t))
        ]
        ends = await verified_end_offsets(parts, connection_kwargs(settings))
        consumer.assign(parts)
        starts = await consumer.beginning_offsets(parts)
        todo = {tp for tp in parts if ends[tp] > starts[tp]}
        if before_folding is not None:  # the catalog is compacted: its age says nothing
            cases = {tp for tp in todo if tp.topic != T_CATALOG}
            before_folding(await _oldest_day(consumer, cases, ends))
        # Explicit positions: a seek_to_beginning right after assign was seen to leave a
        # partition at its end (the reset raced the fetcher's own), and the replay then read
        # nothing at all, on a broker whose topics held other tests' events.
        for tp in parts:
            consumer.seek(tp, starts[tp])
        read = 0
        while todo:
            batch = await consumer.getmany(*todo, timeout_ms=1000, max_records=BATCH)
            messages = []
            for tp, ms in batch.items():
                messages += [m for m in ms if m.offset < ends[tp]]
            for tp in list(todo):
                if await consumer.position(tp) >= ends[tp]:
                    todo.discard(tp)
            if messages:
                await history.apply(envelopes(messages), calendar)
                read += len(messages)
        return read
    finally:
        await consumer.stop()


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    await consumer._client.force_metadata_update()  # noqa: SLF001 - aiokafka has no public call
    return consumer.partitions_for_topic(topic) or set()


async def _oldest_day(
    consumer: AIOKafkaConsumer, parts: set[TopicPartition], ends: dict[TopicPartition, int]
) -> str | None:
    """The local day of the oldest event still on the topics: each partition read from its
    beginning to its first valid event (what no consumer could read is no event), or to its end
    when it holds none (control records and garbage only)."""
    if not parts:
        return None
    starts = await consumer.beginning_offsets(list(parts))
    for tp in parts:
        consumer.seek(tp, starts[tp])
    firsts: dict[TopicPartition, str] = {}
    pending = set(parts)
    quiet = 0
    while pending and quiet < QUIET_ROUNDS:  # nothing left to fetch (control records only)
        batch = await consumer.getmany(*pending, timeout_ms=1000, max_records=1)
        quiet = 0 if batch else quiet + 1
        for tp, ms in batch.items():
            for env in envelopes(ms[:1]):
                firsts[tp] = env.time.astimezone(SHANGHAI).date().isoformat()
                pending.discard(tp)
        for tp in list(pending):
            if await consumer.position(tp) >= ends[tp]:
                pending.discard(tp)
    return min(firsts.values(), default=None)
