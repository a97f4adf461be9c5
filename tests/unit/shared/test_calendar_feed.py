"""The per-process calendar feed applies valid schedules and skips anything else, carrying on."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace

from shared.calendar import load_default_calendar
from shared.calendar.feed import CalendarFeed
from shared.calendar.statutory import statutory_holidays
from shared.contracts import CalendarPublished, make_envelope
from shared.observability.metrics import CALENDAR_REJECTED
from shared.settings import ServiceSettings

AT = datetime(2026, 12, 22, 2, tzinfo=UTC)


def message(value: bytes | None, offset: int = 0) -> SimpleNamespace:
    return SimpleNamespace(value=value, offset=offset)


def published(**changes: object) -> bytes:
    data = CalendarPublished(
        year=2027,
        source="test fixture",
        off=sorted(statutory_holidays(2027) | {date(2027, 1, 4)}),
        calendar_version="x",
        published_at=AT,
    ).model_copy(update=changes)
    return make_envelope(data, source="/egov/operator", time=AT).to_json_bytes()


async def test_a_valid_schedule_swaps_the_calendar_and_tells_the_listener() -> None:
    calendar = load_default_calendar()
    seen: list[str] = []

    async def listener(c: object) -> None:
        seen.append(calendar.version)

    feed = CalendarFeed(ServiceSettings(service_name="t"), calendar, on_change=listener)
    await feed._apply(message(published()))  # noqa: SLF001 - the unit under test
    assert calendar.is_working_day(date(2027, 1, 4)) is False
    assert not calendar.is_provisional_year(2027)
    assert seen == [calendar.version]
    await feed._apply(message(published(), 1))  # noqa: SLF001 - the same again: no change
    assert len(seen) == 1


async def test_anything_else_is_skipped_and_counted_and_the_calendar_stays() -> None:
    calendar = load_default_calendar()
    before = calendar.version
    feed = CalendarFeed(ServiceSettings(service_name="feed-test"), calendar)
    counter = CALENDAR_REJECTED.labels("feed-test")
    count = counter._value.get()  # noqa: SLF001 - prometheus_client has no public read
    bad_schedule = published(extra_working_days=[date(2027, 1, 6)])  # a Wednesday
    unknown = published().replace(b"calendar.published.v1", b"calendar.published.v9")
    for value in (None, b"not json", b"{}", bad_schedule, unknown):
        await feed._apply(message(value))  # noqa: SLF001 - the unit under test
    assert calendar.version == before
    assert counter._value.get() == count + 5  # noqa: SLF001
