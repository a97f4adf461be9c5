"""The consumer loop's per-message decisions, on fakes (the loop itself runs against the real
broker in tests/integration/shared)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from shared.clock import FixedClock
from shared.contracts import DEAD_LETTER_TOPIC, StageOpened
from shared.contracts.examples import EXAMPLES, example_envelope
from shared.kafka import EventConsumer, InMemoryDedupe, PermanentError, read_dead_letter_headers
from shared.settings import ServiceSettings
from tests.support.metrics import label_sets

T = StageOpened.event_type


@dataclass
class FakeRecord:
    value: bytes | None
    key: bytes | None = b"k"
    topic: str = "egov.stages"
    partition: int = 2
    offset: int = 17
    headers: Sequence[tuple[str, bytes]] = ()


@dataclass
class FakeSender:
    sent: list[tuple[str, bytes | None, bytes, list[tuple[str, bytes]]]] = field(
        default_factory=list
    )

    async def send_raw(
        self, topic: str, key: bytes | None, value: bytes, headers: Sequence[tuple[str, bytes]] = ()
    ) -> None:
        self.sent.append((topic, key, value, list(headers)))

    def reasons(self) -> list[str]:
        return [read_dead_letter_headers(h)["dlq.reason"] for _, _, _, h in self.sent]


def make_consumer(handler: Any, **overrides: Any) -> tuple[EventConsumer, FakeSender]:
    settings = ServiceSettings(
        service_name=overrides.pop("service_name", "test"),
        consumer_max_retries=3,
        consumer_retry_backoff_s=0.001,
        kafka_max_message_bytes=10_000,
        **overrides,
    )
    sender = FakeSender()
    consumer = EventConsumer(
        settings=settings,
        group_id="g",
        topics=["egov.stages"],
        handlers={T: handler},
        sender=sender,
        dedupe=InMemoryDedupe(),
        clock=FixedClock(datetime(2026, 3, 2, tzinfo=UTC)),
    )
    return consumer, sender


class Recorder:
    def __init__(self, fail_times: int = 0, permanent: bool = False) -> None:
        self.calls: list[str] = []
        self.fail_times = fail_times
        self.permanent = permanent

    async def __call__(self, envelope: Any, data: Any) -> None:
        self.calls.append(envelope.id)
        if self.permanent:
            raise PermanentError("item 999 does not exist")
        if len(self.calls) <= self.fail_times:
            raise RuntimeError("database briefly unavailable")


def valid(id: str = "e1") -> FakeRecord:
    return FakeRecord(example_envelope(T, id=id).to_json_bytes())


async def test_valid_event_is_handled_with_typed_data() -> None:
    seen: list[Any] = []

    async def handler(envelope: Any, data: Any) -> None:
        seen.append(data)

    consumer, sender = make_consumer(handler)
    assert await consumer.process(valid()) == "handled"
    assert isinstance(seen[0], StageOpened)
    assert sender.sent == []


async def test_redelivered_event_is_handled_once() -> None:
    rec = Recorder()
    consumer, _ = make_consumer(rec)
    assert await consumer.process(valid("same")) == "handled"
    assert await consumer.process(valid("same")) == "duplicate"
    assert rec.calls == ["same"]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b"\xff\xfe not json", "not_json"),
        (b"{truncated", "not_json"),
        (json.dumps({"hello": "world"}).encode(), "invalid_envelope"),
        (json.dumps([1, 2, 3]).encode(), "invalid_envelope"),
    ],
)
async def test_undecodable_messages_are_dead_lettered(value: bytes, reason: str) -> None:
    rec = Recorder()
    consumer, sender = make_consumer(rec)
    assert await consumer.process(FakeRecord(value)) == "dead_lettered"
    assert sender.reasons() == [reason]
    topic, key, body, headers = sender.sent[0]
    assert topic == DEAD_LETTER_TOPIC and body == value and key == b"k"
    h = read_dead_letter_headers(headers)
    assert h["dlq.source.topic"] == "egov.stages"
    assert h["dlq.source.partition"] == "2" and h["dlq.source.offset"] == "17"
    assert h["dlq.consumer"] == "g"
    assert rec.calls == []


async def test_unknown_type_and_version_are_dead_lettered() -> None:
    consumer, sender = make_consumer(Recorder())
    env = json.loads(example_envelope(T).to_json_bytes())
    env["type"] = "gov.egov.stage.opened.v9"
    assert await consumer.process(FakeRecord(json.dumps(env).encode())) == "dead_lettered"
    assert sender.reasons() == ["unknown_type"]
    assert "gov.egov.stage.opened.v9" in read_dead_letter_headers(sender.sent[0][3])["dlq.error"]


async def test_a_thousand_invented_types_stay_a_bounded_number_of_series() -> None:
    """Publishers choose the type: the label takes only registered types (else ``other``), the
    dead letter keeps the exact value."""
    consumer, sender = make_consumer(Recorder(), service_name="bounded-labels")
    env = json.loads(example_envelope(T).to_json_bytes())
    for i in range(1000):
        if i % 2:
            invented = {**env, "type": f"gov.spam.t{i}.v1"}  # a well-formed, unknown type
        else:
            invented = {"type": f"spam-{i}", "id": i}  # not an envelope at all
        assert await consumer.process(FakeRecord(json.dumps(invented).encode())) == "dead_lettered"
    assert await consumer.process(FakeRecord(b"not json")) == "dead_lettered"
    assert label_sets("egov_events_consumed", service="bounded-labels") == {
        (("event_type", label), ("outcome", "dead_lettered"), ("service", "bounded-labels"))
        for label in ("other", "unknown")
    }
    assert read_dead_letter_headers(sender.sent[1][3])["dlq.event_type"] == "gov.spam.t1.v1"
    assert await consumer.process(valid("known")) == "handled"
    assert len(label_sets("egov_events_consumed", service="bounded-labels")) == 3


async def test_schema_violation_names_the_field() -> None:
    consumer, sender = make_consumer(Recorder())
    env = json.loads(example_envelope(T).to_json_bytes())
    env["data"] = {**EXAMPLES[T], "due_at": None}
    del env["data"]["stage_id"]
    assert await consumer.process(FakeRecord(json.dumps(env).encode())) == "dead_lettered"
    error = read_dead_letter_headers(sender.sent[0][3])["dlq.error"]
    assert sender.reasons() == ["schema_violation"]
    assert "stage_id" in error and "due_at" in error


@pytest.mark.parametrize(
    ("where", "reason", "error"),
    [
        ("data", "schema_violation", "due_at: Input should have timezone info"),
        ("envelope", "invalid_envelope", "time: Input should have timezone info"),
    ],
)
async def test_a_timestamp_without_offset_is_dead_lettered_and_one_with_an_offset_handled(
    where: str, reason: str, error: str
) -> None:
    rec = Recorder()
    consumer, sender = make_consumer(rec)

    def stamped(moment: str, id: str) -> FakeRecord:
        env = json.loads(example_envelope(T, id=id).to_json_bytes())
        if where == "data":
            env["data"]["due_at"] = moment
        else:
            env["time"] = moment
        return FakeRecord(json.dumps(env).encode())

    assert await consumer.process(stamped("2026-03-09T18:00:00", "naive")) == "dead_lettered"
    assert sender.reasons() == [reason]
    assert read_dead_letter_headers(sender.sent[0][3])["dlq.error"] == error
    assert await consumer.process(stamped("2026-03-09T18:00:00+08:00", "aware")) == "handled"
    assert rec.calls == ["aware"]


async def test_oversized_message_is_dead_lettered_before_parsing() -> None:
    consumer, sender = make_consumer(Recorder())
    assert await consumer.process(FakeRecord(b"x" * 10_001)) == "dead_lettered"
    assert sender.reasons() == ["too_large"]


async def test_transient_failure_is_retried_then_handled() -> None:
    rec = Recorder(fail_times=2)
    consumer, sender = make_consumer(rec)
    assert await consumer.process(valid()) == "handled"
    assert len(rec.calls) == 3 and sender.sent == []


async def test_handler_failing_every_retry_is_dead_lettered_and_not_marked() -> None:
    rec = Recorder(fail_times=99)
    consumer, sender = make_consumer(rec)
    assert await consumer.process(valid("x")) == "dead_lettered"
    assert len(rec.calls) == 3
    assert sender.reasons() == ["handler_failed"]
    assert (
        "database briefly unavailable" in read_dead_letter_headers(sender.sent[0][3])["dlq.error"]
    )


async def test_permanent_error_is_dead_lettered_at_once() -> None:
    rec = Recorder(permanent=True)
    consumer, sender = make_consumer(rec)
    assert await consumer.process(valid()) == "dead_lettered"
    assert len(rec.calls) == 1
    assert sender.reasons() == ["rejected"]


async def test_types_without_a_handler_are_skipped_not_dead_lettered() -> None:
    consumer, sender = make_consumer(Recorder())
    other = example_envelope("gov.egov.stage.closed.v1").to_json_bytes()
    assert await consumer.process(FakeRecord(other)) == "ignored"
    assert sender.sent == []


async def test_original_headers_are_kept_on_the_dead_letter() -> None:
    consumer, sender = make_consumer(Recorder())
    await consumer.process(FakeRecord(b"nope", headers=[("traceparent", b"00-abc")]))
    assert ("traceparent", b"00-abc") in sender.sent[0][3]


async def test_an_event_on_a_topic_its_type_does_not_belong_on_is_dead_lettered() -> None:
    rec = Recorder()
    consumer, sender = make_consumer(rec)
    forged = FakeRecord(example_envelope(T, id="f1").to_json_bytes(), topic="egov.cases")
    assert await consumer.process(forged) == "dead_lettered"
    assert sender.reasons() == ["wrong_topic"] and rec.calls == []
    h = read_dead_letter_headers(sender.sent[0][3])
    assert h["dlq.event_type"] == T and h["dlq.source.topic"] == "egov.cases"
    assert h["dlq.error"] == f"{T} belongs on egov.stages, not on egov.cases"
    assert await consumer.process(valid("e2")) == "handled"  # the loop carries on
    assert rec.calls == ["e2"]


async def test_a_type_without_a_handler_on_a_wrong_topic_is_dead_lettered_not_ignored() -> None:
    consumer, sender = make_consumer(Recorder())
    other = example_envelope("gov.egov.case.decided.v1").to_json_bytes()
    assert await consumer.process(FakeRecord(other, topic="egov.intake.submissions")) == (
        "dead_lettered"
    )
    assert sender.reasons() == ["wrong_topic"]
