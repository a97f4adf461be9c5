"""The calendar's Kafka side on fakes: the per-process feed reads every published schedule before
it reports ready, follows the topic afterwards and survives a broker hiccup; the deadline sweep
runs at once, on every wake and every interval, and outlives a failed run; `egov calendar
publish` and `--bus` read the topic and skip what is not a schedule. The real broker paths are
tests/integration/calendar; these pin the rules of the code around the client (issue 17: the
mutation run reached none of it)."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from aiokafka import TopicPartition
from typer.testing import CliRunner

from shared.calendar import feed as calendar_feed
from shared.calendar import load_default_calendar
from shared.calendar import publish as calendar_publish
from shared.calendar.cli import calendar_app
from shared.calendar.feed import CalendarFeed, DeadlineSweep, published_event, schedule_of
from shared.calendar.schedule import YearSchedule
from shared.calendar.statutory import statutory_holidays
from shared.calendar.working import WorkingCalendar
from shared.clock import FixedClock
from shared.contracts import make_envelope
from shared.contracts.envelope import derived_event_id
from shared.contracts.events import T_CALENDAR
from shared.contracts.examples import example_data
from shared.kafka.client import connection_kwargs
from shared.settings import ServiceSettings

AT = datetime(2026, 12, 22, 2, tzinfo=UTC)
SETTINGS = ServiceSettings(service_name="feed-bus-test")
TP = TopicPartition(T_CALENDAR, 0)
_sleep = asyncio.sleep  # the real one, whatever a test patches


def schedule(year: int, *extra_off: date) -> YearSchedule:
    return YearSchedule(
        year=year,
        source=f"test fixture {year}",
        published=date(year - 1, 11, 30),
        off=tuple(sorted(statutory_holidays(year) | set(extra_off))),
    )


def message(value: bytes | None, offset: int) -> SimpleNamespace:
    return SimpleNamespace(value=value, offset=offset)


def on_topic(s: YearSchedule, offset: int) -> SimpleNamespace:
    event = published_event(s, "v", AT)
    return message(make_envelope(event, source="/egov/operator", time=AT).to_json_bytes(), offset)


class Topic:
    """egov.calendar, partition 0: `messages` are on it, the first `available` fetchable."""

    def __init__(self, *messages: SimpleNamespace, end: int | None = None) -> None:
        self.messages = list(messages)
        self.end = len(self.messages) if end is None else end
        self.available = len(self.messages)
        self.fetch_failures = 0
        self.consumers: list[FakeConsumer] = []
        self.end_asked: list[tuple[list[TopicPartition], dict[str, Any]]] = []

    def add(self, m: SimpleNamespace) -> None:
        self.messages.append(m)
        self.end = self.available = len(self.messages)

    async def end_offsets(
        self, tps: list[TopicPartition], kwargs: dict[str, Any]
    ) -> dict[TopicPartition, int]:
        self.end_asked.append((tps, kwargs))
        return {TP: self.end} if self.end else {}

    def consumer(self, **kwargs: Any) -> FakeConsumer:
        consumer = FakeConsumer(self, kwargs)
        self.consumers.append(consumer)
        return consumer


class FakeConsumer:
    def __init__(self, topic: Topic, kwargs: dict[str, Any]) -> None:
        self.topic, self.kwargs = topic, kwargs
        self.started = self.stopped = False
        self.assigned: list[TopicPartition] = []
        self.position: int | None = None
        self.waits: list[float] = []  # each fetch's longest wait, in seconds

    async def start(self) -> None:
        self.started = True

    async def stop(self) -> None:
        self.stopped = True

    def assign(self, tps: list[TopicPartition]) -> None:
        self.assigned = tps

    async def seek_to_beginning(self, *tps: TopicPartition) -> None:
        assert list(tps) == self.assigned
        self.position = 0

    async def getmany(self, *tps: TopicPartition, timeout_ms: int) -> dict[Any, Any]:
        assert list(tps) == [TP] and self.position is not None
        self.waits.append(timeout_ms / 1000)  # as aiokafka does: a number of milliseconds
        await _sleep(0.001)
        if self.topic.fetch_failures:
            self.topic.fetch_failures -= 1
            raise ConnectionError("broker went away")
        batch = self.topic.messages[self.position : min(self.position + 2, self.topic.available)]
        self.position += len(batch)
        return {TP: batch} if batch else {}


@pytest.fixture
def topic(monkeypatch: pytest.MonkeyPatch) -> Topic:
    topic = Topic()
    monkeypatch.setattr(calendar_feed, "AIOKafkaConsumer", topic.consumer)
    monkeypatch.setattr(calendar_feed, "verified_end_offsets", topic.end_offsets)
    return topic


async def until(condition: Any) -> None:
    for _ in range(2000):
        if condition():
            return
        await _sleep(0.001)
    raise AssertionError("the feed did not get there")


class Listener:
    def __init__(self, calendar: WorkingCalendar, *, fail: bool = False) -> None:
        self.calendar, self.fail = calendar, fail
        self.versions: list[str] = []

    async def __call__(self, calendar: WorkingCalendar) -> None:
        assert calendar is self.calendar
        self.versions.append(calendar.version)
        if self.fail:
            raise RuntimeError("listener broke")


async def test_the_feed_reads_every_schedule_before_start_returns_then_follows(
    topic: Topic,
) -> None:
    for n, year in enumerate((2027, 2028, 2029)):  # two fetches: batches of two
        topic.add(on_topic(schedule(year, date(year, 1, 4)), n))
    calendar = load_default_calendar(provisional_years=3)
    listener = Listener(calendar)
    feed = CalendarFeed(SETTINGS, calendar, on_change=listener, catch_up_timeout_s=30)
    assert feed.caught_up is False  # not ready before it has read
    await feed.start()
    try:
        assert feed.caught_up is True
        assert [calendar.is_provisional_year(y) for y in (2027, 2028, 2029)] == [False] * 3
        assert len(listener.versions) == 3 and listener.versions[-1] == calendar.version
        [consumer] = topic.consumers
        # groupless, from the beginning of partition 0, committing nothing
        assert consumer.kwargs == {
            **connection_kwargs(SETTINGS),
            "enable_auto_commit": False,
            "group_id": None,
        }
        assert consumer.started and consumer.assigned == [TP]
        assert topic.end_asked == [([TP], connection_kwargs(SETTINGS))]

        topic.add(on_topic(schedule(2030, date(2030, 1, 7)), 3))
        await until(lambda: len(listener.versions) == 4)
        assert not calendar.is_provisional_year(2030)
        assert calendar.is_working_day(date(2030, 1, 7)) is False
    finally:
        await feed.stop()
    assert consumer.stopped
    assert (feed._task, feed._consumer) == (None, None)  # noqa: SLF001 - what stop() clears
    await feed.stop()  # a second stop does nothing


async def test_an_empty_topic_is_read_at_once(topic: Topic) -> None:
    calendar = load_default_calendar()
    before = calendar.version
    feed = CalendarFeed(SETTINGS, calendar, catch_up_timeout_s=0.2)
    await feed.start()
    try:
        assert feed.caught_up is True
        assert calendar.version == before
    finally:
        await feed.stop()


async def test_a_slow_topic_serves_what_was_read_and_is_ready_once_followed_to_its_end(
    topic: Topic, caplog: pytest.LogCaptureFixture
) -> None:
    topic.add(on_topic(schedule(2027, date(2027, 1, 4)), 0))
    topic.add(on_topic(schedule(2028, date(2028, 1, 3)), 1))
    topic.add(on_topic(schedule(2029, date(2029, 1, 8)), 2))
    topic.available = 1  # the rest does not arrive within the catch-up time
    calendar = load_default_calendar(provisional_years=3)
    feed = CalendarFeed(SETTINGS, calendar, catch_up_timeout_s=0.05)
    with caplog.at_level(logging.ERROR, logger=calendar_feed.__name__):
        await feed.start()
    try:
        assert feed.caught_up is False
        assert not calendar.is_provisional_year(2027)
        assert calendar.is_provisional_year(2028)
        assert [r.getMessage() for r in caplog.records] == [
            "calendar feed read 1 of 3 published schedules in 0 s; following the rest"
        ]
        topic.available = 2
        await until(lambda: not calendar.is_provisional_year(2028))
        assert feed.caught_up is False  # offset 1 of 3: not at the end yet
        topic.available = 3
        await until(lambda: feed.caught_up)
        assert not calendar.is_provisional_year(2029)
    finally:
        await feed.stop()


async def test_the_feed_keeps_following_after_a_failed_fetch(
    topic: Topic, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    pauses: list[float] = []

    async def pause(seconds: float) -> None:
        pauses.append(seconds)
        await _sleep(0)

    calendar = load_default_calendar()
    feed = CalendarFeed(SETTINGS, calendar)
    await feed.start()
    try:
        monkeypatch.setattr(calendar_feed.asyncio, "sleep", pause)
        topic.fetch_failures = 2
        with caplog.at_level(logging.ERROR, logger=calendar_feed.__name__):
            topic.add(on_topic(schedule(2027, date(2027, 1, 4)), 0))
            await until(lambda: not calendar.is_provisional_year(2027))
        assert pauses == [1.0, 1.0]  # a second between retries
        assert [r.getMessage() for r in caplog.records] == [
            "calendar feed: fetch failed; retrying"
        ] * 2
        assert feed.caught_up is True
    finally:
        await feed.stop()


async def test_a_failing_listener_is_logged_and_the_feed_goes_on(
    topic: Topic, caplog: pytest.LogCaptureFixture
) -> None:
    calendar = load_default_calendar(provisional_years=2)
    listener = Listener(calendar, fail=True)
    feed = CalendarFeed(SETTINGS, calendar, on_change=listener)
    bad = message(b"not json", 1)
    with caplog.at_level(logging.INFO, logger=calendar_feed.__name__):
        await feed._apply(on_topic(schedule(2027, date(2027, 1, 4)), 0))  # noqa: SLF001
        await feed._apply(bad)  # noqa: SLF001 - the unit under test
        await feed._apply(on_topic(schedule(2028, date(2028, 1, 3)), 2))  # noqa: SLF001
    assert len(listener.versions) == 2
    said = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert said[0] == ("INFO", f"calendar {listener.versions[0]} in force (2027 published)")
    assert said[1] == ("ERROR", "calendar feed: change listener failed")
    assert said[2][0] == "ERROR"
    assert said[2][1].startswith("calendar feed: offset 1 is not a valid schedule: ")
    assert "Invalid JSON" in said[2][1]  # the reason, from the decoder
    assert said[3] == ("INFO", f"calendar {calendar.version} in force (2028 published)")


def test_a_schedule_round_trips_through_its_event() -> None:
    s = schedule(2027, date(2027, 1, 4)).model_copy(
        update={"extra_working_days": (date(2027, 1, 9),)}
    )
    event = published_event(s, "2027.abc", AT)
    assert (event.calendar_version, event.published_at) == ("2027.abc", AT)
    assert schedule_of(event) == s
    assert schedule_of(event).published == date(2026, 11, 30)


def test_an_event_of_another_type_is_refused_naming_it_and_the_topic() -> None:
    other = make_envelope(
        example_data("gov.egov.case.rated.v1"), source="/egov/intake", time=AT
    ).to_json_bytes()
    with pytest.raises(ValueError) as refused:
        calendar_feed.decode(other)
    assert str(refused.value) == f"gov.egov.case.rated.v1 does not belong on {T_CALENDAR}"


async def test_the_sweep_runs_at_once_on_every_wake_and_outlives_a_failed_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    runs: list[int] = []

    async def sweep() -> int:
        runs.append(len(runs))
        if len(runs) == 2:
            raise RuntimeError("database went away")
        return 0

    deadline_sweep = DeadlineSweep(sweep, interval_s=3600)
    task = asyncio.create_task(deadline_sweep.run())
    try:
        with caplog.at_level(logging.ERROR, logger=calendar_feed.__name__):
            await until(lambda: len(runs) == 1)
            deadline_sweep.wake()
            await until(lambda: len(runs) == 2)  # this one fails
            deadline_sweep.wake()
            await until(lambda: len(runs) == 3)
        for _ in range(20):
            await _sleep(0)
        assert len(runs) == 3  # nothing more until a wake or the hour is up
        assert [r.getMessage() for r in caplog.records] == [
            "deadline recomputation failed; retried in 3600 s"
        ]
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_the_sweep_runs_every_interval_without_a_wake() -> None:
    runs: list[None] = []

    async def sweep() -> int:
        runs.append(None)
        return 0

    task = asyncio.create_task(DeadlineSweep(sweep, interval_s=0.01).run())
    try:
        await until(lambda: len(runs) >= 3)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_reading_the_topic_skips_what_is_not_a_schedule(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked: list[tuple[Any, str, float]] = []
    first, second = schedule(2027, date(2027, 1, 4)), schedule(2028)

    async def read_whole_topic(settings: Any, topic: str, *, timeout_s: float) -> list[Any]:
        asked.append((settings, topic, timeout_s))
        return [on_topic(first, 0), message(b"not json", 1), message(None, 2), on_topic(second, 3)]

    monkeypatch.setattr(calendar_publish, "read_whole_topic", read_whole_topic)
    assert await calendar_publish.read_published(SETTINGS, timeout_s=5) == [first, second]
    assert asked == [(SETTINGS, T_CALENDAR, 5)]
    events = await calendar_publish.read_published_events(SETTINGS)
    assert [e.year for e in events] == [2027, 2028]
    assert asked[-1] == (SETTINGS, T_CALENDAR, 30.0)


class Bus:
    """What `publish_schedule` reads from and writes to egov.calendar."""

    def __init__(self, *on_topic: YearSchedule) -> None:
        self.events = [published_event(s, "v", AT) for s in on_topic]
        self.sent: list[Any] = []
        self.started = self.stopped = 0

    async def read(self, settings: ServiceSettings, timeout_s: float = 30.0) -> list[Any]:
        assert settings is SETTINGS  # the topic the operator's settings name
        return list(self.events)

    def publisher(self, settings: ServiceSettings) -> Any:
        bus = self
        assert settings is SETTINGS

        class Publisher:
            async def start(self) -> None:
                bus.started += 1

            async def stop(self) -> None:
                bus.stopped += 1

            async def publish(self, envelope: Any) -> None:
                bus.sent.append(envelope)

        return Publisher()


@pytest.fixture
def bus(monkeypatch: pytest.MonkeyPatch) -> Bus:
    bus = Bus(schedule(2027, date(2027, 1, 4)))
    monkeypatch.setattr(calendar_publish, "read_published_events", bus.read)
    monkeypatch.setattr(calendar_publish, "KafkaPublisher", bus.publisher)
    return bus


async def test_publishing_a_year_sends_it_once_on_the_calendar_it_extends(bus: Bus) -> None:
    s = schedule(2028, date(2028, 1, 3))
    said = await calendar_publish.publish_schedule(SETTINGS, s, clock=FixedClock(AT))
    expected = load_default_calendar()
    expected.publish(schedule(2027, date(2027, 1, 4)))
    expected.publish(s)
    assert said == f"2028: published (calendar {expected.version})"
    [envelope] = bus.sent
    assert (bus.started, bus.stopped) == (1, 1)
    assert (envelope.source, envelope.time) == ("/egov/operator", AT)
    # one id per year and calendar version: a second publish of the same is one message
    assert envelope.id == derived_event_id("calendar", "2028", expected.version)
    event = calendar_feed.decode(envelope.to_json_bytes())
    assert schedule_of(event) == s
    assert (event.calendar_version, event.published_at) == (expected.version, AT)
    assert event.audit is not None and event.audit["action"] == "published"


async def test_the_same_schedule_again_publishes_nothing_and_another_is_refused(
    bus: Bus,
) -> None:
    same = schedule(2027, date(2027, 1, 4))
    calendar = load_default_calendar()
    calendar.publish(same)
    said = await calendar_publish.publish_schedule(SETTINGS, same, clock=FixedClock(AT))
    assert said == f"2027: already in force (calendar {calendar.version}); nothing published"
    with pytest.raises(calendar_publish.AlreadyPublished) as refused:
        await calendar_publish.publish_schedule(SETTINGS, schedule(2027), clock=FixedClock(AT))
    assert str(refused.value) == (
        "2027 already has an official schedule (test fixture 2027); replacing one is not "
        "supported at run time, because deadlines counted on it are not provisional and would "
        "not be recomputed (see docs/operations.md)"
    )
    assert bus.sent == [] and bus.started == 0


def test_the_cli_reads_the_bus_with_bus(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[ServiceSettings] = []

    async def read_published(settings: ServiceSettings) -> list[YearSchedule]:
        asked.append(settings)
        return [schedule(2027, date(2027, 1, 4))]

    monkeypatch.setattr(calendar_publish, "read_published", read_published)
    runner = CliRunner()
    assert runner.invoke(calendar_app, ["check", "2027-01-04"]).stdout == "working provisional\n"
    assert asked == []
    result = runner.invoke(calendar_app, ["check", "2027-01-04", "--bus"])
    assert result.stdout == "holiday\n"  # official now, and a holiday only on the bus
    result = runner.invoke(calendar_app, ["check", "2027-01-05", "--bus"])
    assert result.stdout == "working\n"
    assert [s.service_name for s in asked] == ["cli", "cli"]
