"""Reading a whole topic once, from its beginning to its current end (groupless): what the
operator's commands read (`egov dlq list`, `egov audit verify --bus`, `egov calendar`)."""

from __future__ import annotations

import asyncio
from typing import TypeAlias

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import ConsumerRecord

from shared.kafka.client import connection_kwargs
from shared.kafka.metadata import topic_partitions
from shared.kafka.offsets import verified_end_offsets
from shared.settings import ServiceSettings

Record: TypeAlias = ConsumerRecord[bytes, bytes]


async def read_whole_topic(
    settings: ServiceSettings, topic: str, *, timeout_s: float = 30.0
) -> list[Record]:
    """Every message of ``topic`` up to its end as of the call, partition by partition in offset
    order; [] for an unknown or empty topic. TimeoutError when the end is not reached in time."""
    consumer = AIOKafkaConsumer(
        **connection_kwargs(settings), enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        tps = await asyncio.wait_for(topic_partitions(consumer, topic), timeout_s)
        if not tps:
            return []
        ends = await verified_end_offsets(tps, connection_kwargs(settings))
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        found: list[Record] = []
        remaining = {tp for tp in tps if ends[tp] > 0}
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while remaining and loop.time() < deadline:
            batch = await consumer.getmany(*remaining, timeout_ms=500)
            for tp, messages in batch.items():
                found += [m for m in messages if m.offset < ends[tp]]
                if messages and messages[-1].offset + 1 >= ends[tp]:
                    remaining.discard(tp)
        if remaining:
            raise TimeoutError(f"could not read {topic} to its end within {timeout_s} s")
        return found
    finally:
        await consumer.stop()
