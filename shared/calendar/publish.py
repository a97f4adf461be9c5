"""The operator side of ``egov.calendar``: read what is published, publish a year."""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaConsumer, TopicPartition

from shared.calendar.feed import decode, published_event, schedule_of
from shared.calendar.schedule import YearSchedule
from shared.calendar.working import load_default_calendar
from shared.clock import SystemClock
from shared.contracts import make_envelope
from shared.contracts.envelope import derived_event_id, use_event_id_key
from shared.contracts.events import T_CALENDAR
from shared.kafka.client import connection_kwargs
from shared.kafka.offsets import verified_end_offsets
from shared.kafka.producer import KafkaPublisher
from shared.settings import ServiceSettings


async def read_published(settings: ServiceSettings, timeout_s: float = 30.0) -> list[YearSchedule]:
    """Every schedule on the topic, oldest first (a later one of a year replaces an earlier)."""
    tp = TopicPartition(T_CALENDAR, 0)
    kwargs = connection_kwargs(settings)
    end = (await verified_end_offsets([tp], kwargs)).get(tp, 0)
    if end == 0:
        return []
    consumer = AIOKafkaConsumer(**kwargs, enable_auto_commit=False, group_id=None)
    await consumer.start()
    found: list[YearSchedule] = []
    position = 0
    try:
        consumer.assign([tp])
        await consumer.seek_to_beginning(tp)
        deadline = asyncio.get_running_loop().time() + timeout_s
        while position < end and asyncio.get_running_loop().time() < deadline:
            for message in (await consumer.getmany(tp, timeout_ms=500)).get(tp, []):
                position = message.offset + 1
                try:
                    found.append(schedule_of(decode(message.value)))
                except Exception:  # noqa: BLE001, S112 - skipped by every service too
                    continue
    finally:
        await consumer.stop()
    if position < end:
        raise TimeoutError(f"read {position} of {end} published schedules in {timeout_s:.0f} s")
    return found


class AlreadyPublished(ValueError):
    def __init__(self, year: int, source: str) -> None:
        super().__init__(
            f"{year} already has an official schedule ({source}); replacing one is not supported "
            "at run time, because deadlines counted on it are not provisional and would not be "
            "recomputed (see docs/operations.md)"
        )


async def publish_schedule(settings: ServiceSettings, schedule: YearSchedule) -> str:
    calendar = load_default_calendar()
    for earlier in await read_published(settings):
        calendar.publish(earlier)
    current = calendar.data.years.get(schedule.year)
    if current == schedule:
        return f"{schedule.year}: already in force (calendar {calendar.version}); nothing published"
    if current is not None:
        raise AlreadyPublished(schedule.year, current.source)
    calendar.publish(schedule)
    use_event_id_key(settings.event_id_key.get_secret_value())
    now = SystemClock().now()
    event = published_event(schedule, calendar.version, now)
    envelope = make_envelope(
        event,
        source="/egov/operator",
        time=now,
        id=derived_event_id("calendar", str(schedule.year), calendar.version),
    )
    publisher = KafkaPublisher(settings)
    await publisher.start()
    try:
        await publisher.publish(envelope)
    finally:
        await publisher.stop()
    return f"{schedule.year}: published (calendar {calendar.version})"
