"""The operator side of ``egov.calendar``: read what is published, publish a year."""

from __future__ import annotations

from shared.audit import AuditKeys
from shared.audit.admin import operator
from shared.calendar.audit import publication_entry
from shared.calendar.feed import decode, published_event, schedule_of
from shared.calendar.schedule import YearSchedule
from shared.calendar.working import load_default_calendar
from shared.clock import Clock, SystemClock
from shared.contracts import make_envelope
from shared.contracts.envelope import derived_event_id, use_event_id_key
from shared.contracts.events import T_CALENDAR, CalendarPublished
from shared.kafka.producer import KafkaPublisher
from shared.kafka.reading import read_whole_topic
from shared.settings import ServiceSettings


async def read_published_events(
    settings: ServiceSettings, timeout_s: float = 30.0
) -> list[CalendarPublished]:
    """Every publication on the topic, oldest first (a later one of a year replaces an earlier)."""
    found: list[CalendarPublished] = []
    for message in await read_whole_topic(settings, T_CALENDAR, timeout_s=timeout_s):
        try:
            found.append(decode(message.value))
        except Exception:  # noqa: BLE001, S112 - skipped by every service too
            continue
    return found


async def read_published(settings: ServiceSettings, timeout_s: float = 30.0) -> list[YearSchedule]:
    """Every schedule on the topic, oldest first."""
    return [schedule_of(e) for e in await read_published_events(settings, timeout_s)]


class AlreadyPublished(ValueError):
    def __init__(self, year: int, source: str) -> None:
        super().__init__(
            f"{year} already has an official schedule ({source}); replacing one is not supported "
            "at run time, because deadlines counted on it are not provisional and would not be "
            "recomputed (see docs/operations.md)"
        )


async def publish_schedule(
    settings: ServiceSettings, schedule: YearSchedule, *, clock: Clock | None = None
) -> str:
    """Publish ``schedule`` with its entry in the calendar's audit chain (calendar/audit.py)."""
    published = await read_published_events(settings)
    calendar = load_default_calendar()
    for earlier in published:
        calendar.publish(schedule_of(earlier))
    current = calendar.data.years.get(schedule.year)
    if current == schedule:
        return f"{schedule.year}: already in force (calendar {calendar.version}); nothing published"
    if current is not None:
        raise AlreadyPublished(schedule.year, current.source)
    calendar.publish(schedule)
    use_event_id_key(settings.event_id_key.get_secret_value())
    now = (clock or SystemClock()).now()
    keys = AuditKeys.from_setting(settings.audit_key.get_secret_value())
    entry = publication_entry(keys, published, schedule, actor=operator(settings), at=now)
    event = published_event(schedule, calendar.version, now).model_copy(update={"audit": entry})
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
