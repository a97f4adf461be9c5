"""The calendar feed and chain at their edges, on the fakes of test_calendar_bus_paths: a topic
holding a single schedule is read before `start()` returns, `stop()` is safe on a feed never
started or whose follow loop died, and the chain `egov audit verify` reads has nothing under
another id and shows an unkeyed publication by its year, with an empty head hash."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest

from shared.calendar import feed as calendar_feed
from shared.calendar import load_default_calendar
from shared.calendar.audit import CALENDAR_CHAIN_ID, PublishedCalendar
from shared.calendar.feed import CalendarFeed, published_event
from shared.settings import ServiceSettings
from tests.unit.shared.test_calendar_bus_paths import (
    AT,
    SETTINGS,
    Topic,
    on_topic,
    schedule,
    topic,
)

__all__ = ["topic"]  # the fixture, imported for pytest


async def test_a_topic_of_a_single_schedule_is_in_force_when_start_returns(topic: Topic) -> None:
    topic.add(on_topic(schedule(2027, date(2027, 1, 4)), 0))
    calendar = load_default_calendar()
    feed = CalendarFeed(SETTINGS, calendar, catch_up_timeout_s=30)
    await feed.start()
    try:
        assert feed.caught_up is True
        assert not calendar.is_provisional_year(2027)  # read before start() returned
        assert calendar.is_working_day(date(2027, 1, 4)) is False
    finally:
        await feed.stop()


async def test_stopping_a_feed_never_started_does_nothing() -> None:
    feed = CalendarFeed(SETTINGS, load_default_calendar())
    await feed.stop()
    assert feed.caught_up is False


async def test_stop_closes_the_consumer_even_after_the_follow_loop_died(
    topic: Topic, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken_pause(_seconds: float) -> None:
        raise RuntimeError("the loop's own pause failed")

    feed = CalendarFeed(SETTINGS, load_default_calendar())
    await feed.start()
    monkeypatch.setattr(calendar_feed.asyncio, "sleep", broken_pause)
    topic.fetch_failures = 1
    task = feed._task  # noqa: SLF001 - the follow loop under test
    assert task is not None
    for _ in range(2000):
        if task.done():
            break
        await asyncio.wait([task], timeout=0.001)
    assert task.done() and isinstance(task.exception(), RuntimeError)
    await feed.stop()  # does not raise what ended the loop
    [consumer] = topic.consumers
    assert consumer.stopped


async def test_the_chain_of_another_id_is_empty_and_an_unkeyed_publication_shows_its_year() -> None:
    unkeyed = published_event(schedule(2027), "v", AT)
    assert unkeyed.audit is None
    chain = PublishedCalendar([unkeyed])
    assert await chain.head("another-chain") is None
    assert await chain.entries("another-chain") == []
    head = await chain.head(CALENDAR_CHAIN_ID)
    assert head is not None and (head.count, head.hash) == (1, "")
    assert await chain.entries(CALENDAR_CHAIN_ID) == [{"year": 2027}]
    assert await PublishedCalendar([]).head(CALENDAR_CHAIN_ID) is None


async def test_the_feed_keeps_following_an_idle_topic_until_a_schedule_arrives(
    topic: Topic,
) -> None:
    calendar = load_default_calendar()
    feed = CalendarFeed(SETTINGS, calendar)
    await feed.start()
    try:
        [consumer] = topic.consumers
        fetched = consumer.position
        for _ in range(20):  # several empty fetches
            await asyncio.sleep(0.002)
        assert consumer.position == fetched and feed._task is not None  # noqa: SLF001
        assert not feed._task.done()  # noqa: SLF001 - an empty fetch does not end the loop
        topic.add(on_topic(schedule(2027, date(2027, 1, 4)), 0))
        for _ in range(2000):
            if not calendar.is_provisional_year(2027):
                break
            await asyncio.sleep(0.001)
        assert not calendar.is_provisional_year(2027)
    finally:
        await feed.stop()


async def test_a_catch_up_fetch_waits_half_a_second_and_a_follow_fetch_a_second(
    topic: Topic,
) -> None:
    """The catch-up overruns its deadline by at most one fetch's wait (0.5 s), and the follow
    loop comes back at least every second; aiokafka takes the wait in milliseconds (`None`
    fails in it). Kills feed.xǁCalendarFeedǁstart__mutmut_32/_35 (None, 501 ms) and
    xǁCalendarFeedǁ_follow__mutmut_5/_8 (None, 1001 ms)."""
    for n, year in enumerate((2027, 2028, 2029)):  # two catch-up fetches: batches of two
        topic.add(on_topic(schedule(year, date(year, 1, 4)), n))
    feed = CalendarFeed(SETTINGS, load_default_calendar(provisional_years=3))
    await feed.start()
    try:
        [consumer] = topic.consumers
        assert consumer.waits == [0.5, 0.5]
        for _ in range(2000):
            if len(consumer.waits) >= 4:
                break
            await asyncio.sleep(0.001)
        assert consumer.waits[2:4] == [1.0, 1.0]
    finally:
        await feed.stop()


async def test_the_follow_loop_is_named_and_waits_as_long_as_the_services_by_default(
    topic: Topic,
) -> None:
    """The task is `calendar-feed` in a task dump; a feed built without a catch-up time (the
    monitor's `history` command) waits as long as every service's (`calendar_catch_up_s`).
    Kills feed.xǁCalendarFeedǁstart__mutmut_60/_62/_63/_64 (the name) and
    xǁCalendarFeedǁ__init____mutmut_1 (31 s)."""
    feed = CalendarFeed(SETTINGS, load_default_calendar())
    assert feed.catch_up_timeout_s == ServiceSettings().calendar_catch_up_s == 30.0
    await feed.start()
    try:
        assert feed._task is not None  # noqa: SLF001 - the follow loop under test
        assert feed._task.get_name() == "calendar-feed"  # noqa: SLF001
    finally:
        await feed.stop()
