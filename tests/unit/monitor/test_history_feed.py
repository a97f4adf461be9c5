"""The history feed's reading of a batch: what it alone reads (egov.catalog) and cannot read goes
to the dead-letter topic with its reason, once, and the next good message is still folded;
garbage on the topics the services' consumers read is theirs to dead-letter, not the feed's."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from aiokafka import ConsumerRecord

from services.monitor.history.feed import reader_for
from services.monitor.settings import MonitorSettings
from shared.calendar import load_default_calendar
from shared.clock import FixedClock
from shared.contracts import DEAD_LETTER_TOPIC, T_CASES, T_CATALOG, Envelope
from shared.kafka.deadletter import read_dead_letter_headers
from tests.support.history_scenario import MemoryHistory, catalog_events, events, rows

CAL = load_default_calendar()
NOW = datetime(2026, 3, 2, 2, tzinfo=UTC)
SETTINGS = MonitorSettings()


class Sink:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes | None, bytes, dict[str, str]]] = []

    async def send_raw(
        self, topic: str, key: bytes | None, value: bytes, headers: Sequence[tuple[str, bytes]] = ()
    ) -> None:
        self.sent.append((topic, key, value, read_dead_letter_headers(list(headers))))


def record(topic: str, offset: int, value: bytes, key: bytes = b"k") -> ConsumerRecord:  # type: ignore[type-arg]
    return ConsumerRecord(topic, 0, offset, 0, 0, key, value, None, len(key), len(value), ())


def of(envelope: Envelope) -> bytes:
    return envelope.to_json_bytes()


async def fed(batch: list[ConsumerRecord]) -> tuple[Sink, MemoryHistory]:  # type: ignore[type-arg]
    sink, history = Sink(), MemoryHistory()
    reader = reader_for(SETTINGS, sink, FixedClock(NOW))
    history.apply(await reader.envelopes(batch), CAL)
    return sink, history


async def test_a_malformed_catalog_message_is_dead_lettered_and_the_next_one_folded() -> None:
    first, second = catalog_events()[:2]
    broken = of(first)[:-9]  # truncated: not JSON
    no_code = first.model_copy(update={"data": {**first.data, "item_code": ""}})
    sink, history = await fed(
        [
            record(T_CATALOG, 7, broken),
            record(T_CATALOG, 8, of(no_code)),
            record(T_CATALOG, 9, of(second)),
        ]
    )
    assert [(s[0], s[2]) for s in sink.sent] == [
        (DEAD_LETTER_TOPIC, broken),
        (DEAD_LETTER_TOPIC, of(no_code)),
    ]
    headers = [s[3] for s in sink.sent]
    assert [h["dlq.reason"] for h in headers] == ["not_json", "schema_violation"]
    assert "item_code" in headers[1]["dlq.error"]
    assert {h["dlq.consumer"] for h in headers} == {SETTINGS.monitor_app_id}
    assert [(h["dlq.source.topic"], h["dlq.source.offset"]) for h in headers] == [
        (T_CATALOG, "7"),
        (T_CATALOG, "8"),
    ]
    assert headers[0]["dlq.failed_at"] == NOW.isoformat()
    assert set(history.catalog) == {second.data["item_code"]}


async def test_an_event_of_another_topic_on_the_catalog_is_dead_lettered_as_wrong_topic() -> None:
    case_event = events(rows(seed=1, n=1, calendar=CAL)[0], CAL)[0]
    sink, history = await fed([record(T_CATALOG, 1, of(case_event))])
    assert [s[3]["dlq.reason"] for s in sink.sent] == ["wrong_topic"]
    assert history.docs == {}


async def test_garbage_on_a_topic_the_services_consume_is_theirs_to_dead_letter() -> None:
    good = events(rows(seed=1, n=1, calendar=CAL)[0], CAL)
    batch = [record(T_CASES, 1, b"not json")] + [
        record(T_CASES, i + 2, of(e)) for i, e in enumerate(good)
    ]
    sink, history = await fed(batch)
    assert sink.sent == []
    assert good[0].subject in history.docs  # the good events after it are folded
