"""The operator side of ``egov.calendar``: read what is published, publish a year."""

from __future__ import annotations

from shared.calendar.feed import decode, published_event, schedule_of
from shared.calendar.schedule import YearSchedule
from shared.calendar.working import load_default_calendar
from shared.clock import SystemClock
from shared.contracts import make_envelope
from shared.contracts.envelope import derived_event_id, use_event_id_key
from shared.contracts.events import T_CALENDAR
from shared.kafka.producer import KafkaPublisher
from shared.kafka.reading import read_whole_topic
from shared.settings import ServiceSettings


async def read_published(settings: ServiceSettings, timeout_s: float = 30.0) -> list[YearSchedule]:
    """Every schedule on the topic, oldest first (a later one of a year replaces an earlier)."""
    found: list[YearSchedule] = []
    for message in await read_whole_topic(settings, T_CALENDAR, timeout_s=timeout_s):
        try:
            found.append(schedule_of(decode(message.value)))
        except Exception:  # noqa: BLE001, S112 - skipped by every service too
            continue
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
