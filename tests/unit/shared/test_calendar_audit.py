"""Publishing a year's schedule is chained with the operator who published it (issue 18): each
message on egov.calendar carries its keyed entry, linked to the previous publication's, and
`egov audit verify --chain calendar.schedules` reports a rewritten, forged or replaced
publication as the chain's first broken link."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from typing import Any

import pytest
from typer.testing import CliRunner

from services.cli import app
from shared.audit import AuditKeys
from shared.audit import cli as audit_cli
from shared.audit.report import ChainSource
from shared.calendar import audit as calendar_audit
from shared.calendar import publish as calendar_publish
from shared.calendar.audit import CALENDAR_CHAIN, CALENDAR_CHAIN_ID, PublishedCalendar
from shared.calendar.schedule import YearSchedule
from shared.calendar.statutory import statutory_holidays
from shared.clock import FixedClock
from shared.contracts import AuditCheckpoint, Envelope
from shared.contracts.events import CalendarPublished
from shared.settings import ServiceSettings

T0 = datetime(2027, 11, 30, 2, 0, tzinfo=UTC)


def schedule(year: int) -> YearSchedule:
    return YearSchedule(
        year=year,
        source=f"test fixture {year}, not an official schedule",
        published=date(year - 1, 11, 30),
        off=tuple(sorted(statutory_holidays(year))),
    )


class Topic:
    """egov.calendar as `egov calendar publish` reads and writes it."""

    def __init__(self) -> None:
        self.published: list[CalendarPublished] = []

    async def read(self, _settings: ServiceSettings, timeout_s: float = 30.0) -> list[Any]:
        return list(self.published)

    def publisher(self, _settings: ServiceSettings) -> Any:
        topic = self

        class Publisher:
            async def start(self) -> None: ...
            async def stop(self) -> None: ...

            async def publish(self, envelope: Envelope) -> None:
                topic.published.append(CalendarPublished.model_validate(envelope.data))

        return Publisher()


SETTINGS = ServiceSettings(service_name="cli", kafka_sasl_username="egov-operator")
KEYS = AuditKeys.from_setting(SETTINGS.audit_key.get_secret_value())


@pytest.fixture
def topic(monkeypatch: pytest.MonkeyPatch) -> Topic:
    """Two years published through `publish_schedule`, and `egov audit verify` reading them."""
    topic = Topic()
    monkeypatch.setattr(calendar_publish, "read_published_events", topic.read)
    monkeypatch.setattr(calendar_publish, "KafkaPublisher", topic.publisher)

    @asynccontextmanager
    async def open_calendar() -> AsyncIterator[ChainSource]:
        yield PublishedCalendar(topic.published)

    async def read_bus(_settings: ServiceSettings) -> tuple[list[AuditCheckpoint], list[str]]:
        return [], []

    assert audit_cli.SOURCES[CALENDAR_CHAIN] is calendar_audit.open_calendar_chain
    monkeypatch.setattr(audit_cli, "SOURCES", {CALENDAR_CHAIN: open_calendar})
    monkeypatch.setattr(audit_cli, "read_bus", read_bus)
    return topic


async def publish_two(topic: Topic) -> None:
    for year in (2028, 2029):
        said = await calendar_publish.publish_schedule(
            SETTINGS, schedule(year), clock=FixedClock(T0)
        )
        assert said.startswith(f"{year}: published")


def run(*args: str) -> Any:
    return CliRunner().invoke(app, ["audit", "verify", "--chain", CALENDAR_CHAIN, *args])


async def test_each_publication_carries_its_entry_with_the_operator(topic: Topic) -> None:
    await publish_two(topic)
    entries = [e.audit or {} for e in topic.published]
    assert [(e["seq"], e["action"], e["actor"], e["roles"]) for e in entries] == [
        (1, "published", "egov-operator", ["operator"]),
        (2, "published", "egov-operator", ["operator"]),
    ]
    assert entries[1]["changes"]["year"] == {"from": None, "to": 2029}
    assert entries[1]["prev_hash"] == entries[0]["hash"]


def test_verify_checks_the_topic_and_needs_no_checkpoints(topic: Topic) -> None:
    asyncio.run(publish_two(topic))  # sync: the command runs its own loop
    result = run("--all", "--bus")
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"calendar {CALENDAR_CHAIN_ID}: OK (2 entries, head ")


def test_a_rewritten_publication_is_the_first_broken_link(topic: Topic) -> None:
    asyncio.run(publish_two(topic))  # sync: the command runs its own loop
    first = topic.published[0]
    assert first.audit is not None
    forged = first.audit | {"actor": "someone-else"}
    topic.published[0] = first.model_copy(update={"audit": forged})
    result = run(CALENDAR_CHAIN_ID)
    assert result.exit_code == 1
    assert result.output.startswith(
        f"calendar {CALENDAR_CHAIN_ID}: BROKEN at entry 1 (index 0): content does not match"
    )


def test_a_replaced_or_unkeyed_publication_is_reported(topic: Topic) -> None:
    asyncio.run(publish_two(topic))  # sync: the command runs its own loop
    # a raw producer replaced 2028 (compaction then drops the original): entry 1 is gone
    replacement = topic.published[0].model_copy(update={"off": [], "audit": None})
    topic.published = [topic.published[1], replacement]
    result = run(CALENDAR_CHAIN_ID)
    assert result.exit_code == 1
    assert "BROKEN at entry 1 (index 0): entry 1 is missing (the next one stored is 2)" in (
        result.output
    )
    topic.published = [replacement]
    result = run(CALENDAR_CHAIN_ID)
    assert "BROKEN at entry 1 (index 0): unkeyed entry" in result.output
