"""Read every platform topic from the beginning, independently of any service."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient

from shared.contracts import TOPICS, Envelope
from shared.kafka.metadata import topic_partitions


@dataclass(frozen=True)
class BusRecord:
    topic: str
    partition: int
    offset: int
    key: str | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...]
    envelope: Envelope | None
    timestamp_ms: int = -1  # the record's Kafka timestamp (the producer's CreateTime)

    def header(self, name: str) -> str | None:
        return next((v.decode(errors="replace") for k, v in self.headers if k == name), None)


def _decode(value: bytes) -> Envelope | None:
    try:
        return Envelope.model_validate(json.loads(value))
    except Exception:  # noqa: BLE001 - anything undecodable is simply not an envelope
        return None


async def read_all(
    bootstrap: str, topics: list[str] | None = None, *, idle_s: float = 3.0, limit_s: float = 120.0
) -> list[BusRecord]:
    """Everything on ``topics`` (default: every registry topic) from the beginning, until no new
    record arrived for ``idle_s`` seconds."""
    names = topics or list(TOPICS)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        parts = [tp for t in names for tp in await topic_partitions(consumer, t)]
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        # Read until the topics fall quiet: some Kafka-protocol brokers report end offsets one
        # short, so the high watermark is not a reliable place to stop.
        out: list[BusRecord] = []
        deadline = time.monotonic() + limit_s
        last_data = time.monotonic()
        while time.monotonic() < deadline and time.monotonic() - last_data < idle_s:
            batch = await consumer.getmany(timeout_ms=500, max_records=5000)
            for tp, records in batch.items():
                last_data = time.monotonic()
                for r in records:
                    value = r.value or b""
                    out.append(
                        BusRecord(
                            tp.topic,
                            tp.partition,
                            r.offset,
                            r.key.decode(errors="replace") if r.key else None,
                            value,
                            tuple(r.headers or ()),
                            _decode(value),
                            r.timestamp,
                        )
                    )
        return out
    finally:
        await consumer.stop()


async def group_lag(bootstrap: str, group: str, topics: list[str]) -> int:
    """Records on ``topics`` the consumer group ``group`` has not yet committed, that is still
    has to handle (a partition it never committed counts from its beginning)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        committed = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        parts = [tp for t in topics for tp in await topic_partitions(consumer, t)]
        ends = await consumer.end_offsets(parts)
        starts = await consumer.beginning_offsets(parts)
    finally:
        await consumer.stop()
    done = {tp: meta.offset for tp, meta in committed.items() if meta.offset >= 0}
    return sum(max(0, ends[tp] - done.get(tp, starts[tp])) for tp in parts)
