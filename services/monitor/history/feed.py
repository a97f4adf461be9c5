"""Feeds the history from the bus: a follower with its own consumer group (every event folded
once whichever worker reads it), and the replay behind `egov assess rebuild`."""

from __future__ import annotations

import logging
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from services.monitor.history.metrics import count
from services.monitor.history.store import MongoHistory
from shared.calendar.timing import Calendar
from shared.clock import SHANGHAI
from shared.contracts import T_CASES, T_CATALOG, T_STAGES, T_SUPERVISION, Envelope
from shared.kafka.client import connection_kwargs
from shared.kafka.feed import Batch, follow_topics
from shared.kafka.offsets import verified_end_offsets
from shared.settings import ServiceSettings

log = logging.getLogger(__name__)
# The catalog (compacted: every item's latest definition) is read from its beginning by the
# same group: the statistics count the items offered online and zero-visit (catalog.py).
HISTORY_TOPICS = (T_CASES, T_STAGES, T_SUPERVISION, T_CATALOG)
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


async def follow(
    settings: ServiceSettings, history: MongoHistory, calendar: Calendar, *, group_id: str
) -> None:
    """Runs for the life of the worker and never raises (shared.kafka.feed): folding is
    idempotent, so a batch handed over again after a failure changes nothing."""

    async def on_batch(messages: Batch) -> None:
        folded = await history.apply(envelopes(messages), calendar)
        count(folded.deltas)  # after the transaction: what the history now holds

    await follow_topics(
        settings,
        HISTORY_TOPICS,
        group_id=group_id,
        on_batch=on_batch,
        on_start=history.start,
        name="history",
        max_records=BATCH,
    )


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
    consumer = AIOKafkaConsumer(**connection_kwargs(settings), enable_auto_commit=False)
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
        await consumer.seek_to_beginning(*parts)
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
    await consumer.seek_to_beginning(*parts)
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
