"""`egov dlq list` / `egov dlq replay` against the real local broker."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from typer.testing import CliRunner

from shared.cli import app
from shared.contracts import DEAD_LETTER_TOPIC
from shared.dlq import REPLAYED_FROM
from shared.kafka.deadletter import DeadLetter, DeadLetterReason
from shared.kafka.metadata import topic_partitions

# `egov dlq` shows and sorts by it; this test picks its letters by type and reason, not time.
FAILED_AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

pytestmark = [pytest.mark.integration, pytest.mark.ops]

CT = b"application/cloudevents+json; charset=UTF-8"
SOURCE = "egov.notifications"  # a topic no service consumes, so replays stay where we put them


def _letter(unique_id: str, n: int, reason: DeadLetterReason) -> DeadLetter:
    return DeadLetter(
        reason=reason,
        error=f"test {n}",
        topic=SOURCE,
        partition=0,
        offset=n,
        consumer=f"ops-{unique_id}",
        failed_at=FAILED_AT,
        key=f"{unique_id}-{n}".encode(),
        value=f'{{"type": "ops.test.{unique_id}", "n": {n}}}'.encode(),
        original_headers=(("content-type", CT), ("traceparent", f"00-{unique_id}".encode())),
        event_type=f"ops.test.{unique_id}",
    )


async def _publish(bootstrap: str, letters: list[DeadLetter]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for letter in letters:
            await producer.send_and_wait(
                DEAD_LETTER_TOPIC, letter.value, key=letter.key, headers=letter.headers()
            )
    finally:
        await producer.stop()


async def _read_source(bootstrap: str, unique_id: str) -> list[tuple[bytes, dict]]:
    """Our messages on SOURCE, read from the beginning up to the current end."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    found: list[tuple[bytes, dict]] = []
    try:
        tps = await topic_partitions(consumer, SOURCE)
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        remaining = {tp for tp in tps if ends[tp] > 0}
        deadline = asyncio.get_running_loop().time() + 30
        while remaining and asyncio.get_running_loop().time() < deadline:
            for tp, messages in (await consumer.getmany(*remaining, timeout_ms=500)).items():
                for m in messages:
                    if m.key and m.key.decode().startswith(unique_id):
                        found.append((m.value, dict(m.headers)))
                    if m.offset + 1 >= ends[tp]:
                        remaining.discard(tp)
        assert not remaining, "could not read the source topic to its end"
    finally:
        await consumer.stop()
    return found


async def test_list_shows_and_replay_republishes_only_the_matching_letters(
    kafka_bootstrap: str, unique_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    letters = [
        _letter(unique_id, 1, DeadLetterReason.HANDLER_FAILED),
        _letter(unique_id, 2, DeadLetterReason.SCHEMA_VIOLATION),
        _letter(unique_id, 3, DeadLetterReason.HANDLER_FAILED),
    ]
    await _publish(kafka_bootstrap, letters)
    monkeypatch.setenv("EGOV_KAFKA_BOOTSTRAP", kafka_bootstrap)
    runner = CliRunner()
    event_type = f"ops.test.{unique_id}"

    def invoke(*args: str) -> str:
        result = runner.invoke(app, ["dlq", *args])
        assert result.exit_code == 0, result.output
        return result.output

    listed = await asyncio.to_thread(invoke, "list", "--type", event_type)
    lines = [line for line in listed.splitlines() if event_type in line]
    assert len(lines) == 3
    assert all(f"{SOURCE}[0]@" in line for line in lines)
    assert sum("schema_violation" in line for line in lines) == 1

    dry = await asyncio.to_thread(
        invoke, "replay", "--type", event_type, "--reason", "handler_failed", "--dry-run"
    )
    assert dry.count("would replay") == 2
    assert await _read_source(kafka_bootstrap, unique_id) == []

    await asyncio.to_thread(invoke, "replay", "--type", event_type, "--reason", "handler_failed")
    replayed = await _read_source(kafka_bootstrap, unique_id)
    assert sorted(value for value, _ in replayed) == sorted([letters[0].value, letters[2].value])
    for _, headers in replayed:
        assert headers["content-type"] == CT
        assert headers["traceparent"] == f"00-{unique_id}".encode()
        assert REPLAYED_FROM in headers
        assert not any(k.startswith("dlq.") for k in headers)
