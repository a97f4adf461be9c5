"""Produce and consume through the shared helpers on the real broker and database:
malformed messages land in the dead-letter topic with reasons while the valid ones around them
are handled, in order, and a redelivered event is handled once."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer

from shared.clock import SystemClock
from shared.contracts import DEAD_LETTER_TOPIC, CaseDecided, StageOpened, TopicSpec, make_envelope
from shared.contracts.examples import EXAMPLES, example_envelope
from shared.kafka import EventConsumer, KafkaPublisher, MongoDedupe, read_dead_letter_headers
from shared.kafka.admin import ensure_topics
from shared.kafka.metadata import topic_partitions
from shared.mongo import create_client
from shared.settings import ServiceSettings

# What the envelope says; the broker stamps records with its own time.
SENT_AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

pytestmark = pytest.mark.integration


def stage_opened(case_id: str, n: int) -> bytes:
    data = StageOpened.model_validate(
        {**EXAMPLES[StageOpened.event_type], "case_id": case_id, "stage_id": f"{case_id}:{n}"}
    )
    return make_envelope(
        data, source="/egov/test", time=SENT_AT, id=f"{case_id}-{n}"
    ).to_json_bytes()


async def dead_letters(
    bootstrap: str, consumer_name: str, expect: int, timeout: float = 30
) -> list[Any]:
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await reader.start()
    try:
        parts = await topic_partitions(reader, DEAD_LETTER_TOPIC)
        reader.assign(parts)
        await reader.seek_to_beginning(*parts)
        found: list[Any] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(found) < expect:
            for records in (await reader.getmany(timeout_ms=500)).values():
                for r in records:
                    h = read_dead_letter_headers(r.headers)
                    if h.get("dlq.consumer") == consumer_name:
                        found.append((h, r.value, r.key))
        return found
    finally:
        await reader.stop()


def stands_in_for_egov_stages(monkeypatch: pytest.MonkeyPatch, topic: str) -> None:
    """A private topic per test, which consumers take stage.opened from as from egov.stages
    (a type is taken only from its own topic: ``may_arrive_on``)."""
    monkeypatch.setattr(StageOpened, "topic", topic)


async def test_bad_messages_are_dead_lettered_and_valid_ones_handled(
    kafka_bootstrap: str, mongo_uri: str, unique_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    topic = f"test.messaging.{unique_id[:10]}"
    stands_in_for_egov_stages(monkeypatch, topic)
    group = f"test-messaging-{unique_id[:10]}"
    settings = ServiceSettings(
        service_name="msgtest",
        kafka_bootstrap=kafka_bootstrap,
        mongo_uri=mongo_uri,
        mongo_db=f"msg_{unique_id[:10]}",
        consumer_retry_backoff_s=0.01,
        kafka_max_message_bytes=50_000,
    )
    await ensure_topics(settings, [TopicSpec(topic, 3, "case_id", "test")])
    mongo = create_client(settings)
    dedupe = MongoDedupe(mongo[settings.database_name], timedelta(hours=1))
    await dedupe.ensure_indexes()
    publisher = KafkaPublisher(settings)
    await publisher.start()

    handled: list[str] = []

    async def on_stage_opened(envelope: Any, data: Any) -> None:
        if data.stage_id.endswith(":7"):
            raise RuntimeError("this one always fails")
        handled.append(envelope.id)

    consumer = EventConsumer(
        settings=settings,
        group_id=group,
        topics=[topic],
        handlers={StageOpened.event_type: on_stage_opened},
        sender=publisher,
        dedupe=dedupe,
        clock=SystemClock(),
    )
    case = f"500000-20260302-{unique_id[:6]}"
    key = case.encode()
    bad_type = json.loads(stage_opened(case, 99))
    bad_type["type"] = "gov.egov.nonsense.v1"
    bad_schema = json.loads(stage_opened(case, 98))
    bad_schema["data"]["due_at"] = "not a time"
    off_topic = example_envelope(CaseDecided.event_type, id=f"{case}-decided").to_json_bytes()
    messages = [
        stage_opened(case, 1),
        b"this is not json",
        stage_opened(case, 2),
        json.dumps(bad_type).encode(),
        stage_opened(case, 3),
        json.dumps(bad_schema).encode(),
        b"{" + b" " * 60_000 + b"}",
        stage_opened(case, 4),
        stage_opened(case, 7),  # handler fails on every retry
        stage_opened(case, 5),
        off_topic,  # a well-formed decision, on a topic decisions do not belong on
        stage_opened(case, 2),  # redelivered copy of an event already handled
        stage_opened(case, 6),
    ]
    try:
        for value in messages:  # one key -> one partition -> order preserved
            await publisher.send_raw(topic, key, value)
        await consumer.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(handled) < 6:
            await asyncio.sleep(0.2)
        assert handled == [f"{case}-{n}" for n in (1, 2, 3, 4, 5, 6)]

        letters = await dead_letters(kafka_bootstrap, group, expect=6)
        reasons = sorted(h["dlq.reason"] for h, _, _ in letters)
        assert reasons == [
            "handler_failed",
            "not_json",
            "schema_violation",
            "too_large",
            "unknown_type",
            "wrong_topic",
        ]
        by_reason = {h["dlq.reason"]: (h, v, k) for h, v, k in letters}
        h, value, k = by_reason["not_json"]
        assert value == b"this is not json" and k == key
        assert h["dlq.source.topic"] == topic and h["dlq.source.offset"] == "1"
        assert "due_at" in by_reason["schema_violation"][0]["dlq.error"]
        assert consumer.running, "the loop must carry on after bad messages"
    finally:
        await consumer.stop()
        await publisher.stop()
        await mongo.close()


async def test_redelivery_after_restart_without_commit_is_handled_once(
    kafka_bootstrap: str, mongo_uri: str, unique_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A consumer that handled events but died before committing makes its successor re-read
    them; the processed-ids store turns the re-reads into no-ops."""
    topic = f"test.redelivery.{unique_id[:10]}"
    stands_in_for_egov_stages(monkeypatch, topic)
    group = f"test-redelivery-{unique_id[:10]}"
    settings = ServiceSettings(
        service_name="msgtest",
        kafka_bootstrap=kafka_bootstrap,
        mongo_uri=mongo_uri,
        mongo_db=f"redeliv_{unique_id[:10]}",
    )
    await ensure_topics(settings, [TopicSpec(topic, 1, "case_id", "test")])
    mongo = create_client(settings)
    dedupe = MongoDedupe(mongo[settings.database_name], timedelta(hours=1))
    publisher = KafkaPublisher(settings)
    await publisher.start()
    case = f"500000-20260302-{unique_id[:6]}"
    handled: list[str] = []

    async def on_stage_opened(envelope: Any, data: Any) -> None:
        handled.append(envelope.id)

    def make() -> EventConsumer:
        return EventConsumer(
            settings=settings,
            group_id=group,
            topics=[topic],
            handlers={StageOpened.event_type: on_stage_opened},
            sender=publisher,
            dedupe=dedupe,
            clock=SystemClock(),
        )

    try:
        for n in range(3):
            await publisher.send_raw(topic, case.encode(), stage_opened(case, n))
        # First consumer: process by hand, never commit (as if killed before the commit).
        first = make()
        from aiokafka import AIOKafkaConsumer as Raw

        raw = Raw(
            topic,
            bootstrap_servers=kafka_bootstrap,
            group_id=group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        await raw.start()
        got = 0
        deadline = time.monotonic() + 30
        while got < 3 and time.monotonic() < deadline:
            for records in (await raw.getmany(timeout_ms=500)).values():
                for r in records:
                    await first.process(r)
                    got += 1
        await raw.stop()
        assert handled == [f"{case}-{n}" for n in range(3)]

        second = make()
        await second.start()
        await asyncio.sleep(0)
        deadline = time.monotonic() + 30
        # The successor re-reads all three from the uncommitted position and drops them.
        from shared.observability.metrics import EVENTS_CONSUMED

        dup = EVENTS_CONSUMED.labels("msgtest", StageOpened.event_type, "duplicate")
        start = dup._value.get()
        while time.monotonic() < deadline and dup._value.get() - start < 3:
            await asyncio.sleep(0.2)
        await second.stop()
        assert dup._value.get() - start == 3
        assert handled == [f"{case}-{n}" for n in range(3)]
    finally:
        await publisher.stop()
        await mongo.close()


async def test_with_concurrency_keys_run_alongside_in_order_and_all_is_committed(
    kafka_bootstrap: str, mongo_uri: str, unique_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``consumer_concurrency`` above 1 on the real broker: one case's events in their order,
    other cases' events alongside it, and the group's offsets committed up to the end."""
    topic = f"test.concurrent.{unique_id[:10]}"
    stands_in_for_egov_stages(monkeypatch, topic)
    group = f"test-concurrent-{unique_id[:10]}"
    settings = ServiceSettings(
        service_name="msgtest",
        kafka_bootstrap=kafka_bootstrap,
        mongo_uri=mongo_uri,
        mongo_db=f"conc_{unique_id[:10]}",
        consumer_concurrency=8,
    )
    await ensure_topics(settings, [TopicSpec(topic, 2, "case_id", "test")])
    mongo = create_client(settings)
    dedupe = MongoDedupe(mongo[settings.database_name], timedelta(hours=1))
    publisher = KafkaPublisher(settings)
    await publisher.start()
    cases = [f"500000-20260302-{unique_id[:5]}{c}" for c in "abcd"]
    handled: dict[str, list[str]] = {c: [] for c in cases}
    running = {"now": 0, "most": 0}

    async def on_stage_opened(envelope: Any, data: Any) -> None:
        running["now"] += 1
        running["most"] = max(running["most"], running["now"])
        await asyncio.sleep(0.05)
        handled[data.case_id].append(envelope.id)
        running["now"] -= 1

    consumer = EventConsumer(
        settings=settings,
        group_id=group,
        topics=[topic],
        handlers={StageOpened.event_type: on_stage_opened},
        sender=publisher,
        dedupe=dedupe,
        clock=SystemClock(),
    )
    try:
        for n in range(5):
            for case in cases:
                await publisher.send_raw(topic, case.encode(), stage_opened(case, n))
        await consumer.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and sum(map(len, handled.values())) < 20:
            await asyncio.sleep(0.2)
        await asyncio.sleep(1.0)  # the batch's commit
        assert handled == {c: [f"{c}-{n}" for n in range(5)] for c in cases}
        assert running["most"] > 1, "cases were handled one at a time"
    finally:
        await consumer.stop()
    raw = AIOKafkaConsumer(bootstrap_servers=kafka_bootstrap, group_id=group)
    await raw.start()
    try:
        parts = await topic_partitions(raw, topic)
        ends = await raw.end_offsets(parts)
        # every record committed; a partition no key hashed to has no commit (None), end 0
        assert {tp: await raw.committed(tp) or 0 for tp in parts} == ends
        assert sum(ends.values()) == 20
    finally:
        await raw.stop()
        await publisher.stop()
        await mongo.close()
