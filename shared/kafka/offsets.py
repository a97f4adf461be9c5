"""End offsets checked against the log itself.

Readers that stop at a partition's end offset (table recovery, `egov dlq list`, checkers) trust the
broker's ListOffsets answer. A broker that reports a stale end offset makes them stop early and
miss the newest records without any error. Tansu 0.6.0 (the development broker) does this: after a
batch of N records its end offset moves by one, not by N (measured: batches of 5 at offsets 0-4,
5-9, 10-14 gave end offsets 1, 6, 11). `verified_end_offsets` starts from the reported offsets and
reads forward until nothing more comes, so the answer is right on any broker; on a correct one it
costs a single empty fetch.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition


async def read_forward_to_end(
    consumer: AIOKafkaConsumer,
    reported: Mapping[TopicPartition, int],
    *,
    quiet_ms: int = 200,
    timeout_s: float = 30.0,
) -> dict[TopicPartition, int]:
    """True end offsets of `reported`'s partitions, read with an assigned (groupless) consumer.

    Assigns the partitions to `consumer` and seeks each to its reported end; a partition is done
    when one fetch of `quiet_ms` brings nothing more.
    """
    ends = {tp: max(0, int(end)) for tp, end in reported.items()}
    if not ends:
        return ends
    consumer.assign(list(ends))
    for tp, end in ends.items():
        consumer.seek(tp, end)
    pending = set(ends)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while pending and loop.time() < deadline:
        batch = await consumer.getmany(*pending, timeout_ms=quiet_ms)
        still_growing = set()
        for tp, messages in batch.items():
            if messages:
                ends[tp] = max(ends[tp], messages[-1].offset + 1)
                still_growing.add(tp)
        pending = still_growing
    return ends


async def verified_end_offsets(
    partitions: list[TopicPartition], consumer_kwargs: Mapping[str, Any], **options: Any
) -> dict[TopicPartition, int]:
    """End offsets as the broker reports them, then corrected by reading forward."""
    if not partitions:
        return {}
    consumer = AIOKafkaConsumer(
        **consumer_kwargs, enable_auto_commit=False, group_id=None, auto_offset_reset="latest"
    )
    await consumer.start()
    try:
        reported = await consumer.end_offsets(partitions)
        return await read_forward_to_end(consumer, reported, **options)
    finally:
        await consumer.stop()
