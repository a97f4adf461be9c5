"""End offsets read forward on the real broker: records produced in batches are all counted,
whatever the broker's ListOffsets answer says."""

from __future__ import annotations

import pytest
from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from shared.kafka.offsets import verified_end_offsets

pytestmark = pytest.mark.integration


async def test_verified_end_offsets_count_every_batched_record(
    kafka_bootstrap: str, unique_id: str
) -> None:
    topic = f"test.offsets.{unique_id}"
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=2, replication_factor=1)])
    finally:
        await admin.close()

    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all", linger_ms=50)
    await producer.start()
    try:
        for _ in range(3):  # three batches of 7 records on partition 0, none on partition 1
            pending = [await producer.send(topic, b"x", partition=0) for _ in range(7)]
            for fut in pending:
                await fut
    finally:
        await producer.stop()

    p0, p1 = TopicPartition(topic, 0), TopicPartition(topic, 1)
    ends = await verified_end_offsets([p0, p1], {"bootstrap_servers": kafka_bootstrap})
    assert ends == {p0: 21, p1: 0}
