"""On the real broker, one event of every type published by our producers (KafkaPublisher, and
the outbox relay most services publish through) is read off its real topic by a plain consumer
and parsed by the official CloudEvents SDK's Kafka reader into the very event we published."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.structs import ConsumerRecord
from cloudevents.core.bindings import kafka as binding

from shared.calendar import load_default_calendar
from shared.calendar.feed import published_event
from shared.contracts import (
    EVENT_TYPES,
    CalendarPublished,
    Envelope,
    EventData,
    make_envelope,
    topic_for,
)
from shared.contracts.examples import T0, example_data
from shared.kafka import KafkaPublisher
from shared.kafka.metadata import topic_partitions
from shared.mongo import create_client
from shared.mongo.outbox import Outbox
from shared.mongo.relay import OutboxRelay
from shared.settings import ServiceSettings

pytestmark = pytest.mark.integration

SOURCE = "/egov/binding-test"
PUBLISHED_YEAR = 2026  # packaged with every service: republishing it changes no calendar


def harmless_data(event_type: str) -> EventData:
    """The example payload, except for the calendar: every process reads `egov.calendar` whole,
    so publish the schedule they already run rather than the example's year."""
    if event_type != CalendarPublished.event_type:
        return example_data(event_type)
    calendar = load_default_calendar()
    return published_event(calendar.data.years[PUBLISHED_YEAR], calendar.version, T0)


def one_of_each(run: str) -> dict[str, Envelope]:
    """One event of every registered type, by id (unique to this run)."""
    envelopes = [
        make_envelope(harmless_data(t), source=SOURCE, time=T0, id=f"{run}-{n}")
        for n, t in enumerate(sorted(EVENT_TYPES))
    ]
    return {e.id: e for e in envelopes}


async def through_publisher(settings: ServiceSettings, envelopes: list[Envelope]) -> None:
    publisher = KafkaPublisher(settings)
    await publisher.start()
    try:
        for envelope in envelopes:
            await publisher.publish(envelope)
    finally:
        await publisher.stop()


async def through_outbox_relay(settings: ServiceSettings, envelopes: list[Envelope]) -> None:
    mongo = create_client(settings)
    publisher = KafkaPublisher(settings)
    await publisher.start()
    try:
        db = mongo[settings.database_name]
        await Outbox(db).add(envelopes, session=None)
        relay = OutboxRelay(db, publisher, service="binding-test", owner=settings.database_name)
        assert await relay.run_once() == len(envelopes)
    finally:
        await publisher.stop()
        await mongo.drop_database(settings.database_name)
        await mongo.close()


PATHS: dict[str, Callable[[ServiceSettings, list[Envelope]], Awaitable[None]]] = {
    "KafkaPublisher": through_publisher,
    "OutboxRelay": through_outbox_relay,
}


async def read_back(
    bootstrap: str, topics: set[str], ids: set[str], timeout_s: float = 60
) -> dict[str, ConsumerRecord[bytes, bytes]]:
    """Our records (by CloudEvent id) off the topics, read from the beginning with a plain
    groupless consumer; the ids are found in the value, since no header carries them."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    found: dict[str, ConsumerRecord[bytes, bytes]] = {}
    try:
        parts = [tp for t in sorted(topics) for tp in await topic_partitions(consumer, t)]
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        deadline = time.monotonic() + timeout_s
        while set(found) != ids and time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=500, max_records=5000)).values():
                for record in records:
                    event_id = envelope_id(record.value)
                    if event_id in ids:
                        found[event_id] = record
    finally:
        await consumer.stop()
    return found


def envelope_id(value: bytes | None) -> str | None:
    try:
        doc = json.loads(value or b"")
    except ValueError:
        return None
    return doc.get("id") if isinstance(doc, dict) else None


def parse_with_sdk(record: ConsumerRecord[bytes, bytes]) -> Any:
    headers = {k: v for k, v in record.headers}
    message = binding.KafkaMessage(headers=headers, key=record.key, value=record.value or b"")
    return binding.from_kafka_event(message)


@pytest.mark.parametrize("path", sorted(PATHS))
async def test_every_event_type_on_its_topic_is_read_by_the_cloudevents_sdk(
    path: str, kafka_bootstrap: str, mongo_uri: str, unique_id: str
) -> None:
    settings = ServiceSettings(
        service_name="binding-test",
        kafka_bootstrap=kafka_bootstrap,
        mongo_uri=mongo_uri,
        mongo_db=f"binding_{unique_id[:12]}",
    )
    published = one_of_each(f"binding-{path}-{unique_id}")
    await PATHS[path](settings, list(published.values()))

    topics = {topic_for(e.type) for e in published.values()}
    records = await read_back(kafka_bootstrap, topics, set(published))
    assert set(records) == set(published), "some events never reached their topic"
    for event_id, record in records.items():
        sent = published[event_id]
        assert record.topic == topic_for(sent.type)
        assert record.key == sent.subject.encode()
        event = parse_with_sdk(record)
        attributes = event.get_attributes()
        assert (attributes["type"], attributes["id"], attributes["source"]) == (
            sent.type,
            sent.id,
            SOURCE,
        ), sent.type
        assert attributes["time"] == sent.time, sent.type
        assert event.get_data() == sent.data, sent.type
