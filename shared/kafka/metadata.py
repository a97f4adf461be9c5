"""Partitions of a topic as the broker knows them now, for readers that assign partitions."""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer, TopicPartition


async def topic_partitions(consumer: AIOKafkaConsumer, topic: str) -> list[TopicPartition]:
    """The partitions of `topic`, sorted; [] when the broker does not know the topic.

    `consumer.topics()` fetches a separate copy of the metadata and leaves the consumer's own
    untouched, so `partitions_for_topic` after it answers None on Apache Kafka for a topic the
    consumer never subscribed (it looked right on Tansu, whose metadata answers list every
    topic). A forced update of the consumer's own metadata asks for every topic.
    """
    found = consumer.partitions_for_topic(topic)
    if not found:
        await consumer._client.force_metadata_update()  # noqa: SLF001 - no public refresh
        found = consumer.partitions_for_topic(topic)
    return [TopicPartition(topic, p) for p in sorted(found or ())]
