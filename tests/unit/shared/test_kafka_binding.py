"""Every way the platform puts an event on the bus follows the CloudEvents Kafka protocol binding
in structured content mode: what it would send (topic, key, value, headers) is read back by the
official CloudEvents SDK's Kafka readers as the very event that was published.

The messages are captured from the real publishers (KafkaPublisher, the outbox relay, the
monitor's faust publisher) on fake producers; the same check against the real broker is in
tests/integration/shared/test_cloudevents_binding.py.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest
from cloudevents.core.bindings import kafka as binding
from cloudevents.v1 import kafka as v1_kafka

from services.monitor.faust_app import FaustPublisher
from shared.contracts import EVENT_TYPES, Envelope, topic_for
from shared.contracts.examples import example_envelope
from shared.kafka import KafkaPublisher
from shared.mongo.outbox import Outbox
from shared.mongo.relay import OutboxRelay
from shared.settings import ServiceSettings


@dataclass(frozen=True)
class Sent:
    topic: str
    key: bytes | None
    value: bytes
    headers: list[tuple[str, bytes]]


def _done() -> asyncio.Future[None]:
    future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    future.set_result(None)
    return future


@dataclass
class FakeAIOKafkaProducer:
    sent: list[Sent] = field(default_factory=list)

    async def send(
        self, topic: str, value: bytes, key: bytes | None = None, headers: Any = None
    ) -> asyncio.Future[None]:
        self.sent.append(Sent(topic, key, value, list(headers or ())))
        return _done()

    async def send_and_wait(
        self, topic: str, value: bytes, key: bytes | None = None, headers: Any = None
    ) -> None:
        await self.send(topic, value, key, headers)


@dataclass
class FakeFaustProducer:
    sent: list[Sent] = field(default_factory=list)

    async def send(
        self, topic: str, key: bytes, value: bytes, partition: Any, timestamp: Any, headers: Any
    ) -> asyncio.Future[None]:
        self.sent.append(Sent(topic, key, value, list(headers or ())))
        return _done()


class FakeCursor:
    def __init__(self, docs: list[dict[str, Any]]) -> None:
        self.docs = docs

    def sort(self, key: str, _direction: int) -> FakeCursor:
        return FakeCursor(sorted(self.docs, key=lambda d: d[key]))

    async def to_list(self, length: int) -> list[dict[str, Any]]:
        return self.docs[:length]


@dataclass
class FakeCollection:
    docs: list[dict[str, Any]] = field(default_factory=list)

    async def insert_one(self, doc: dict[str, Any], session: Any = None) -> None:
        self.docs.append(dict(doc))

    async def insert_many(
        self, docs: list[dict[str, Any]], ordered: bool = True, session: Any = None
    ) -> None:
        self.docs.extend(dict(d) for d in docs)

    def find(self, query: Mapping[str, Any]) -> FakeCursor:
        return FakeCursor([d for d in self.docs if all(d.get(k) == v for k, v in query.items())])

    async def update_many(self, query: Mapping[str, Any], update: Mapping[str, Any]) -> None:
        for doc in self.docs:
            if doc["_id"] in query["_id"]["$in"]:
                doc.update(update["$set"])


def _publisher() -> tuple[KafkaPublisher, FakeAIOKafkaProducer]:
    publisher = KafkaPublisher(ServiceSettings(service_name="binding-test"))
    producer = FakeAIOKafkaProducer()
    publisher._producer = producer
    return publisher, producer


async def via_publish(envelope: Envelope) -> list[Sent]:
    publisher, producer = _publisher()
    await publisher.publish(envelope)
    return producer.sent


async def via_publish_many(envelope: Envelope) -> list[Sent]:
    publisher, producer = _publisher()
    await publisher.publish_many([envelope])
    return producer.sent


async def via_outbox_relay(envelope: Envelope) -> list[Sent]:
    publisher, producer = _publisher()
    db: Any = {"outbox": FakeCollection(), "locks": FakeCollection()}
    await Outbox(db).add([envelope], session=None)
    assert await OutboxRelay(db, publisher, service="binding-test", owner="t").run_once() == 1
    return producer.sent


async def via_monitor(envelope: Envelope) -> list[Sent]:
    producer = FakeFaustProducer()
    await FaustPublisher(SimpleNamespace(producer=producer), "monitor").publish([envelope])  # type: ignore[arg-type]
    return producer.sent


SENDERS: dict[str, Callable[[Envelope], Awaitable[list[Sent]]]] = {
    "KafkaPublisher.publish": via_publish,
    "KafkaPublisher.publish_many": via_publish_many,
    "OutboxRelay": via_outbox_relay,
    "monitor FaustPublisher": via_monitor,
}


def read_with_sdk(sent: Sent) -> Any:
    """The SDK's reader that chooses the mode from the headers (any ``ce_`` one: binary)."""
    message = binding.KafkaMessage(headers=dict(sent.headers), key=sent.key, value=sent.value)
    return binding.from_kafka_event(message)


@pytest.mark.parametrize("sender", sorted(SENDERS))
@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
async def test_what_we_send_is_read_by_the_sdk_as_the_published_event(
    event_type: str, sender: str
) -> None:
    envelope = example_envelope(event_type, source="/egov/binding-test")
    [sent] = await SENDERS[sender](envelope)

    assert (sent.topic, sent.key) == (topic_for(event_type), envelope.subject.encode())
    assert dict(sent.headers)["content-type"].startswith(b"application/cloudevents+json")
    event = read_with_sdk(sent)
    attributes = event.get_attributes()
    assert attributes["type"] == event_type
    assert attributes["id"] == envelope.id
    assert attributes["source"] == "/egov/binding-test"
    assert attributes["subject"] == envelope.subject
    assert attributes["time"] == envelope.time
    assert attributes["correlationid"] == envelope.correlationid
    assert event.get_data() == envelope.data


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
async def test_the_sdks_structured_reader_finds_no_attribute_the_event_lacks(
    event_type: str,
) -> None:
    """The SDK's v1 structured reader turns every header into an attribute: a header of ours
    would become an attribute the event does not have (and ``ce_id``, ``correlation_id`` are
    not even valid attribute names)."""
    envelope = example_envelope(event_type)
    [sent] = await via_publish(envelope)
    message = v1_kafka.KafkaMessage(dict(sent.headers), sent.key, sent.value)
    event = v1_kafka.from_structured(message)
    envelope_attributes = set(json.loads(envelope.to_json_bytes())) - {"data"}
    assert set(event.get_attributes()) - {"partitionkey"} == envelope_attributes
    assert (event["type"], event["id"], event["source"]) == (
        event_type,
        envelope.id,
        envelope.source,
    )
    assert event.get_data() == envelope.data
