"""Read every platform topic from the beginning, independently of any service."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition

from shared.contracts import TOPICS, Envelope


@dataclass(frozen=True)
class BusRecord:
    topic: str
    partition: int
    offset: int
    key: str | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...]
    envelope: Envelope | None

    def header(self, name: str) -> str | None:
        return next((v.decode(errors="replace") for k, v in self.headers if k == name), None)


def _decode(value: bytes) -> Envelope | None:
    try:
        return Envelope.model_validate(json.loads(value))
    except Exception:  # noqa: BLE001 - anything undecodable is simply not an envelope
        return None


async def read_all(
    bootstrap: str, topics: list[str] | None = None, *, idle_s: float = 2.0, limit_s: float = 120.0
) -> list[BusRecord]:
    """Everything currently on ``topics`` (default: every registry topic), up to the high
    watermarks seen at the start."""
    names = topics or list(TOPICS)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        parts = [
            TopicPartition(t, p)
            for t in names
            for p in sorted(consumer.partitions_for_topic(t) or await _partitions(consumer, t))
        ]
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        ends = await consumer.end_offsets(parts)
        out: list[BusRecord] = []
        deadline = time.monotonic() + limit_s
        last_data = time.monotonic()
        while time.monotonic() < deadline:
            done = all(await consumer.position(tp) >= ends[tp] for tp in parts)
            if done or time.monotonic() - last_data > max(idle_s, 10.0):
                break
            batch = await consumer.getmany(timeout_ms=500, max_records=5000)
            for tp, records in batch.items():
                last_data = time.monotonic()
                for r in records:
                    if r.offset >= ends[tp]:
                        continue
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
                        )
                    )
        return out
    finally:
        await consumer.stop()


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    await consumer._client.force_metadata_update()  # noqa: SLF001 - refresh for a new topic
    await asyncio.sleep(0)
    return consumer.partitions_for_topic(topic) or set()
