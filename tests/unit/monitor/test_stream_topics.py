"""The monitor decodes its messages itself (faust): like the shared consumer it routes an event
only when its type belongs on the topic it came on, so a stage opened on egov.cases starts no
clock."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from services.monitor import handlers as h
from services.monitor.settings import MonitorSettings
from services.monitor.stream import SOURCE_TOPICS, MonitorStream
from shared.clock import FixedClock
from shared.contracts import (
    DEAD_LETTER_TOPIC,
    EVENT_TYPES,
    T_CASES,
    T_STAGES,
    Envelope,
    make_envelope,
    topic_for,
)
from shared.contracts.examples import example_envelope
from shared.contracts.registry import MONITOR_TIMERS_TOPIC
from shared.kafka import read_dead_letter_headers
from tests.support.metrics import label_sets
from tests.unit.monitor.fakes import DictScheduler, DictStore, fake_deps
from tests.unit.monitor.test_handlers import OPENED, opened


@dataclass
class Message:
    """What faust hands the agent."""

    topic: str
    value: bytes
    key: bytes = b"C1"
    partition: int = 2
    offset: int = 5
    timestamp: float | None = None
    headers: Sequence[tuple[str, bytes]] = ()


class DeadLetters:
    """Stands in for the faust producer, which the stream uses for dead letters only."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes, dict[str, str]]] = []

    async def send_and_wait(self, topic: str, key: Any, value: bytes, *rest: Any) -> None:
        self.sent.append((topic, value, read_dead_letter_headers(list(rest[-1]))))

    def reasons(self) -> list[str]:
        return [headers["dlq.reason"] for _, _, headers in self.sent]


def wired_stream() -> tuple[MonitorStream, DictStore, DictScheduler, DeadLetters]:
    """The stream as bootstrap.build makes it, its handlers on the in-memory fakes."""
    settings = MonitorSettings(monitor_handler_retries=1, consumer_retry_backoff_s=0)
    stream = MonitorStream(settings, FixedClock(OPENED))
    stream.deps, store, _, scheduler = fake_deps(settings)
    letters = DeadLetters()
    stream.app.producer = letters
    return stream, store, scheduler, letters


async def test_a_stage_opened_on_egov_cases_is_dead_lettered_and_starts_no_clock() -> None:
    stream, store, scheduler, letters = wired_stream()
    value = make_envelope(opened(), source="/egov/intake", time=OPENED).to_json_bytes()
    await stream.handle(Message(T_CASES, value))
    [(topic, body, headers)] = letters.sent
    assert topic == DEAD_LETTER_TOPIC and body == value
    assert headers["dlq.reason"] == "wrong_topic" and headers["dlq.source.topic"] == T_CASES
    assert store.get("C1") is None and scheduler.due == {}
    # the worker carries on: the same event on egov.stages opens the stage and its clock
    await stream.handle(Message(T_STAGES, value))
    assert store.get("C1") is not None and ("C1", "S1") in scheduler.due
    assert len(letters.sent) == 1


async def test_every_type_reaches_the_monitor_from_its_own_topic_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stream, _, _, letters = wired_stream()
    reached: list[str] = []

    def recorded(handler: h.Handler) -> h.Handler:
        async def call(deps: h.Deps, env: Envelope, data: Any) -> None:
            reached.append(env.type)
            await handler(deps, env, data)

        return call

    monkeypatch.setattr(h, "HANDLERS", {t: recorded(r) for t, r in h.HANDLERS.items()})
    faults = []
    for topic in (t for t in SOURCE_TOPICS if t != MONITOR_TIMERS_TOPIC):
        for event_type in sorted(EVENT_TYPES):
            before, sent = len(reached), len(letters.sent)
            value = example_envelope(event_type, id=f"{topic}|{event_type}").to_json_bytes()
            await stream.handle(Message(topic, value))
            got, reasons = reached[before:], letters.reasons()[sent:]
            if topic_for(event_type) != topic and (got or reasons != ["wrong_topic"]):
                faults.append(f"{event_type} on {topic}: reached {got}, dead letters {reasons}")
            if topic_for(event_type) == topic and "wrong_topic" in reasons:
                faults.append(f"{event_type} refused on its own topic {topic}")
            if topic_for(event_type) == topic and event_type in h.HANDLERS and not got:
                faults.append(f"{event_type} on its own topic {topic} never reached its handler")
    assert faults == []


async def test_a_thousand_invented_types_stay_a_bounded_number_of_series() -> None:
    stream, _, _, letters = wired_stream()
    stream.service = "monitor-bounded-labels"
    env = json.loads(make_envelope(opened(), source="/egov/approval", time=OPENED).to_json_bytes())
    for i in range(1000):
        if i % 2:
            invented = {**env, "type": f"gov.spam.t{i}.v1"}
        else:
            invented = {"type": f"spam-{i}"}
        await stream.handle(Message(T_STAGES, json.dumps(invented).encode()))
    assert len(letters.sent) == 1000
    assert letters.sent[1][2]["dlq.event_type"] == "gov.spam.t1.v1"
    # as the shared consumer: a message that is not an envelope keeps the type it claims
    assert letters.sent[0][2]["dlq.event_type"] == "spam-0"
    await stream.handle(Message(T_STAGES, b"not json"))  # and one that names no type at all
    assert label_sets("egov_events_consumed", service="monitor-bounded-labels") == {
        (("event_type", label), ("outcome", "dead_lettered"), ("service", "monitor-bounded-labels"))
        for label in ("other", "unknown")
    }
