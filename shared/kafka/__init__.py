"""Kafka helpers: publisher, consumer loop with dead-lettering and dedupe, topic admin."""

from shared.kafka.consumer import EventConsumer, Handler, PermanentError
from shared.kafka.deadletter import DeadLetter, DeadLetterReason, read_dead_letter_headers
from shared.kafka.dedupe import DedupeStore, InMemoryDedupe, MongoDedupe
from shared.kafka.producer import KafkaPublisher, Publisher

__all__ = [
    "DeadLetter",
    "DeadLetterReason",
    "DedupeStore",
    "EventConsumer",
    "Handler",
    "InMemoryDedupe",
    "KafkaPublisher",
    "MongoDedupe",
    "PermanentError",
    "Publisher",
    "read_dead_letter_headers",
]
