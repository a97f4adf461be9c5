"""Publishing to the bus: acks=all, structured-mode CloudEvents, topic and key from the registry."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

from aiokafka import AIOKafkaProducer

from shared.contracts import Envelope, kafka_headers, topic_for
from shared.kafka.client import connection_kwargs
from shared.observability.metrics import EVENTS_PRODUCED
from shared.settings import ServiceSettings

log = logging.getLogger(__name__)

Headers = Sequence[tuple[str, bytes]]


class Publisher(Protocol):
    async def publish(self, envelope: Envelope) -> None: ...


class KafkaPublisher:
    """One producer per process. ``publish`` returns once the broker acknowledged the write."""

    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings
        self.service = settings.service_name
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        if self._producer is not None:
            return
        self._producer = AIOKafkaProducer(
            **connection_kwargs(self.settings),
            acks="all",
            enable_idempotence=self.settings.kafka_idempotence,  # consumers dedupe as well
            linger_ms=5,
            max_request_size=max(self.settings.kafka_max_message_bytes * 2, 1_048_576),
        )
        await self._producer.start()

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    @property
    def producer(self) -> AIOKafkaProducer:
        if self._producer is None:
            raise RuntimeError("publisher not started")
        return self._producer

    async def publish(self, envelope: Envelope) -> None:
        await self.send_raw(
            topic_for(envelope.type),
            envelope.subject.encode(),
            envelope.to_json_bytes(),
            kafka_headers(),
        )
        EVENTS_PRODUCED.labels(self.service, envelope.type).inc()

    async def publish_many(self, envelopes: Sequence[Envelope]) -> None:
        futures = []
        for env in envelopes:
            futures.append(
                await self.producer.send(
                    topic_for(env.type),
                    value=env.to_json_bytes(),
                    key=env.subject.encode(),
                    headers=kafka_headers(),
                )
            )
        for fut, env in zip(futures, envelopes, strict=True):
            await fut
            EVENTS_PRODUCED.labels(self.service, env.type).inc()

    async def send_raw(
        self, topic: str, key: bytes | None, value: bytes, headers: Headers = ()
    ) -> None:
        await self.producer.send_and_wait(topic, value=value, key=key, headers=list(headers))

    async def check(self) -> None:
        """Readiness: the broker answers a metadata request."""
        await self.producer.client.fetch_all_metadata()
