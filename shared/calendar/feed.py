"""Every process keeps its calendar in step with the schedules published on ``egov.calendar``.

The topic is compacted and keyed by year: read from the beginning it holds the latest schedule of
every year published at run time. A process reads it whole before it reports ready and then
follows it; each new schedule swaps the calendar in place (``WorkingCalendar.publish``). Groupless
(every replica reads everything); recomputing deadlines is not done here but by each service's
group consumer, once per service (``on_calendar_published`` handlers).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import ConsumerRecord

from shared.calendar.schedule import YearSchedule
from shared.calendar.working import WorkingCalendar
from shared.contracts import Envelope, parse_data
from shared.contracts.events import T_CALENDAR, CalendarPublished
from shared.jobs import stop_task
from shared.kafka.client import connection_kwargs
from shared.kafka.offsets import verified_end_offsets
from shared.observability.metrics import CALENDAR_REJECTED
from shared.settings import ServiceSettings

log = logging.getLogger(__name__)
OnChange = Callable[[WorkingCalendar], Awaitable[None]]


def schedule_of(event: CalendarPublished) -> YearSchedule:
    return YearSchedule(
        year=event.year,
        source=event.source,
        published=event.published,
        off=tuple(event.off),
        extra_working_days=tuple(event.extra_working_days),
    )


def published_event(
    schedule: YearSchedule, calendar_version: str, published_at: datetime
) -> CalendarPublished:
    """The event that publishes ``schedule`` (the inverse of ``schedule_of``)."""
    return CalendarPublished(
        year=schedule.year,
        source=schedule.source,
        published=schedule.published,
        off=list(schedule.off),
        extra_working_days=list(schedule.extra_working_days),
        calendar_version=calendar_version,
        published_at=published_at,
    )


def apply_published(calendar: WorkingCalendar, event: CalendarPublished) -> bool:
    """Swap the year in; False when the calendar already runs it."""
    return calendar.publish(schedule_of(event))


def decode(raw: bytes | None) -> CalendarPublished:
    envelope = Envelope.from_json_bytes(raw or b"")
    data = parse_data(envelope)
    if not isinstance(data, CalendarPublished):
        raise ValueError(f"{envelope.type} does not belong on {T_CALENDAR}")
    return data


class CalendarFeed:
    def __init__(
        self,
        settings: ServiceSettings,
        calendar: WorkingCalendar,
        *,
        on_change: OnChange | None = None,
        catch_up_timeout_s: float = 30.0,
    ) -> None:
        self.settings = settings
        self.calendar = calendar
        self.on_change = on_change
        self.catch_up_timeout_s = catch_up_timeout_s
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None
        self._tp = TopicPartition(T_CALENDAR, 0)
        self.caught_up = False
        self._end = 0

    async def start(self) -> None:
        """Read every published schedule, then follow the topic in the background."""
        kwargs = connection_kwargs(self.settings)
        ends = await verified_end_offsets([self._tp], kwargs)
        consumer = AIOKafkaConsumer(**kwargs, enable_auto_commit=False, group_id=None)
        await consumer.start()
        self._consumer = consumer
        consumer.assign([self._tp])
        await consumer.seek_to_beginning(self._tp)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.catch_up_timeout_s
        position, end = 0, ends.get(self._tp, 0)
        while position < end and loop.time() < deadline:
            batch = await consumer.getmany(self._tp, timeout_ms=500)
            for message in batch.get(self._tp, []):
                await self._apply(message)
                position = message.offset + 1
        self.caught_up = position >= end
        if not self.caught_up:
            # Serve on what was read (the packaged schedules at least) and keep reading: the
            # rest arrives through the follow loop; readiness says so meanwhile.
            log.error(
                "calendar feed read %d of %d published schedules in %.0f s; following the rest",
                position,
                end,
                self.catch_up_timeout_s,
            )
        self._end = end
        self._task = asyncio.create_task(self._follow(), name="calendar-feed")

    async def stop(self) -> None:
        await stop_task(self._task)
        self._task = None
        if self._consumer is not None:
            await self._consumer.stop()
            self._consumer = None

    async def _follow(self) -> None:
        assert self._consumer is not None
        while True:
            try:
                batch = await self._consumer.getmany(self._tp, timeout_ms=1000)
            except Exception:  # noqa: BLE001 - a broker hiccup must not end the feed
                log.exception("calendar feed: fetch failed; retrying")
                await asyncio.sleep(1.0)
                continue
            for message in batch.get(self._tp, []):
                await self._apply(message)
                self.caught_up = self.caught_up or message.offset + 1 >= self._end

    async def _apply(self, message: ConsumerRecord[bytes, bytes]) -> None:
        try:
            event = decode(message.value)
            changed = apply_published(self.calendar, event)
        except Exception as exc:  # noqa: BLE001 - malformed, unknown type, invalid schedule
            # Every process reads the topic, so each skips and counts a bad message rather than
            # dead-lettering one copy per process; `egov calendar publish` validates before it
            # writes, and only operators may write the topic.
            CALENDAR_REJECTED.labels(self.settings.service_name).inc()
            log.error("calendar feed: offset %s is not a valid schedule: %s", message.offset, exc)
            return
        if changed:
            log.info("calendar %s in force (%s published)", self.calendar.version, event.year)
            if self.on_change is not None:
                try:
                    await self.on_change(self.calendar)
                except Exception:  # noqa: BLE001 - a listener's failure must not end the feed
                    log.exception("calendar feed: change listener failed")


class DeadlineSweep:
    """Runs a service's recomputation of provisional deadlines when the calendar changes, and
    every ``interval_s`` besides: a replica that had not yet swapped may have computed a deadline
    on the old version after the first run (it carries that version, so the next run finds it)."""

    def __init__(self, sweep: Callable[[], Awaitable[int]], interval_s: float) -> None:
        self.sweep = sweep
        self.interval_s = interval_s
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        while True:
            try:
                await self.sweep()
            except Exception:  # noqa: BLE001 - one failed run must not stop the next
                log.exception("deadline recomputation failed; retried in %s s", self.interval_s)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval_s)
            self._wake.clear()
