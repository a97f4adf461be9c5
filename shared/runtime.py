"""Process wiring shared by the services: the real adapters every service needs.

A service's ``bootstrap.py`` builds an :class:`Infrastructure`, registers its consumers, and
passes :meth:`Infrastructure.lifespan` to :func:`shared.observability.http.create_app`.
Unit tests never construct this; they wire fakes into the same handlers.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI

from shared.calendar import WorkingCalendar, load_dir, packaged_data
from shared.calendar.feed import CalendarFeed, DeadlineSweep
from shared.clock import Clock, SimulatedClock, SystemClock
from shared.contracts.envelope import use_event_id_key
from shared.jobs import stop_task
from shared.kafka.consumer import EventConsumer, Handler
from shared.kafka.dedupe import MongoDedupe
from shared.kafka.producer import KafkaPublisher
from shared.mongo.client import create_client, database, ping
from shared.mongo.outbox import Outbox
from shared.mongo.relay import OutboxRelay
from shared.observability.metrics import SERVICE_INFO, calendar_in_force, serve_metrics
from shared.settings import ServiceSettings

log = logging.getLogger(__name__)


def clock_from_settings(settings: ServiceSettings) -> Clock:
    if settings.clock_speed == 1.0 and settings.clock_real_epoch is None:
        return SystemClock()
    epoch = settings.clock_real_epoch or datetime.now(UTC)
    origin = settings.clock_sim_origin or epoch
    return SimulatedClock(real_epoch=epoch, sim_origin=origin, speed=settings.clock_speed)


def key_event_ids(settings: ServiceSettings) -> None:
    """Derive this process's event ids under the deployment's key (every bootstrap calls it)."""
    use_event_id_key(settings.event_id_key.get_secret_value())


def calendar_from_settings(settings: ServiceSettings) -> WorkingCalendar:
    """A calendar of this process's own: a published year changes it in place."""
    data = packaged_data() if settings.calendar_dir is None else load_dir(settings.calendar_dir)
    return WorkingCalendar(data, provisional_years=settings.calendar_provisional_years)


def calendar_summary(calendar: WorkingCalendar, feed: CalendarFeed) -> str:
    """What /readyz reports of the calendar (never a failure: an unpublished year makes
    deadlines provisional, not the process unready)."""
    official = calendar.covered_years
    provisional = [s.year for s in calendar.year_status() if not s.official]
    text = f"version {calendar.version}; official {official[0]}-{official[-1]}"
    text += f"; provisional {', '.join(map(str, provisional))}" if provisional else ""
    return text + ("" if feed.caught_up else "; still reading egov.calendar")


class Infrastructure:
    """Mongo client + database, Kafka publisher, dedupe store, outbox relay and consumers."""

    def __init__(self, settings: ServiceSettings, *, clock: Clock | None = None) -> None:
        self.settings = settings
        self.service = settings.service_name
        key_event_ids(settings)
        self.clock = clock or clock_from_settings(settings)
        self.calendar = calendar_from_settings(settings)
        self.calendar_feed = CalendarFeed(
            settings,
            self.calendar,
            on_change=self._calendar_changed,
            catch_up_timeout_s=settings.calendar_catch_up_s,
        )
        self.mongo = create_client(settings)
        self.db = database(self.mongo, settings)
        self.publisher = KafkaPublisher(settings)
        self.dedupe = MongoDedupe(self.db, timedelta(hours=settings.dedupe_ttl_hours))
        self.outbox = Outbox(self.db)
        self.owner = f"{socket.gethostname()}:{os.getpid()}"
        self.relay = OutboxRelay(
            self.db,
            self.publisher,
            service=self.service,
            owner=self.owner,
            poll_s=settings.outbox_poll_s,
            idle_poll_s=settings.outbox_idle_poll_s,
            change_stream=settings.outbox_change_stream,
            batch=settings.outbox_batch,
        )
        self.consumers: list[EventConsumer] = []
        self.background: list[Callable[[], Coroutine[Any, Any, None]]] = []
        self._tasks: list[asyncio.Task[None]] = []
        self.on_start: list[Callable[[], Awaitable[None]]] = []
        self.on_stop: list[Callable[[], Awaitable[None]]] = []
        self.sweeps: list[DeadlineSweep] = []

    def add_consumer(
        self,
        *,
        topics: Sequence[str],
        handlers: Mapping[str, Handler],
        group_id: str | None = None,
    ) -> EventConsumer:
        consumer = EventConsumer(
            settings=self.settings,
            group_id=group_id or f"egov-{self.service}",
            topics=topics,
            handlers=handlers,
            sender=self.publisher,
            dedupe=self.dedupe,
            clock=self.clock,
        )
        self.consumers.append(consumer)
        return consumer

    def add_deadline_sweep(self, sweep: Callable[[], Awaitable[int]]) -> DeadlineSweep:
        """Recompute this service's provisional deadlines whenever a year is published."""
        runner = DeadlineSweep(sweep, self.settings.calendar_sweep_s)
        self.sweeps.append(runner)
        self.add_background(runner.run)
        return runner

    def add_background(self, loop: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """A coroutine function run for the life of the process (periodic jobs)."""
        self.background.append(loop)

    async def start(self) -> None:
        await ping(self.mongo)
        await self.dedupe.ensure_indexes()
        await self.outbox.ensure_indexes()
        await self.publisher.start()
        await self.calendar_feed.start()
        for hook in self.on_start:
            await hook()
        await self.relay.start()
        for consumer in self.consumers:
            await consumer.start()
        for loop in self.background:
            self._tasks.append(asyncio.create_task(loop()))
        SERVICE_INFO.labels(self.service, "0.1.0").set(1)
        calendar_in_force(self.service, self.calendar)
        log.info("%s started", self.service)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            await stop_task(task)
        for consumer in self.consumers:
            await consumer.stop()
        await self.relay.stop()
        await self.calendar_feed.stop()
        for hook in self.on_stop:
            await hook()
        await self.publisher.stop()
        await self.mongo.close()
        log.info("%s stopped", self.service)

    def readiness(self) -> dict[str, Callable[[], Awaitable[Any]]]:
        return {
            "mongodb": lambda: ping(self.mongo),
            "kafka": self.publisher.check,
            "calendar": self.calendar_status,
        }

    async def _calendar_changed(self, calendar: WorkingCalendar) -> None:
        calendar_in_force(self.service, calendar)
        for sweep in self.sweeps:
            sweep.wake()

    async def calendar_status(self) -> str:
        """Reported, never failing: an unpublished year makes deadlines provisional, not the pod
        unready."""
        calendar_in_force(self.service, self.calendar)
        return calendar_summary(self.calendar, self.calendar_feed)

    @asynccontextmanager
    async def lifespan(self, _app: FastAPI) -> AsyncIterator[None]:
        await self.start()
        try:
            yield
        finally:
            await self.stop()


def serve(app: FastAPI, settings: ServiceSettings) -> None:
    """Run the HTTP server (and with it, through the lifespan, the consumers and relay)."""
    import uvicorn

    from shared.observability.logging import configure_logging

    configure_logging(settings.service_name, settings.log_level, settings.log_json)
    serve_metrics(settings.http_host, settings.metrics_port)
    uvicorn.run(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        timeout_graceful_shutdown=20,
    )
