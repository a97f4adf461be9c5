"""The only place the monitor's adapters are constructed."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from aiokafka.errors import KafkaError
from fastapi import FastAPI
from pymongo.errors import PyMongoError

from services.monitor import metrics as m
from services.monitor.api import router
from services.monitor.board import Accumulator, Part, merge
from services.monitor.handlers import Deps
from services.monitor.history.api import PublicCache
from services.monitor.history.api import router as history_router
from services.monitor.history.model import AssessmentModel, load_model
from services.monitor.history.store import MongoHistory
from services.monitor.jobs import set_gauges
from services.monitor.ports import CaseStore, Publisher, Scheduler, StatsRow, StatsStore
from services.monitor.register_api import router as register_router
from services.monitor.register_store import MongoRegister
from services.monitor.settings import MonitorSettings
from services.monitor.snapshots import MongoBoardParts
from services.monitor.store import TableCaseStore, TableStats
from services.monitor.stream import MonitorStream
from shared.auth import TokenVerifier
from shared.calendar import WorkingCalendar
from shared.calendar.feed import CalendarFeed
from shared.clock import Clock
from shared.contracts import T_CASES, T_STAGES, TOPICS
from shared.mongo.client import create_client, database
from shared.observability.http import create_app, public_surface
from shared.observability.metrics import calendar_in_force
from shared.runtime import (
    calendar_from_settings,
    calendar_summary,
    clock_from_settings,
    key_event_ids,
)

log = logging.getLogger(__name__)

GAUGE_CHUNK = 2000  # open stages scanned between two yields to the event loop


@dataclass
class MonitorService:
    settings: MonitorSettings
    clock: Clock
    calendar: WorkingCalendar
    stream: MonitorStream
    app: FastAPI = field(init=False)
    feed: CalendarFeed = field(init=False)
    board_parts: MongoBoardParts | None = None
    register: MongoRegister | None = None
    history: MongoHistory | None = None
    assessment_model: AssessmentModel = field(default_factory=load_model)
    public_cache: PublicCache = field(default_factory=lambda: PublicCache(300.0))
    register_answer_days: int = 5
    local_parts: dict[int, Part] = field(default_factory=dict)
    calendar_swapped: asyncio.Event = field(default_factory=asyncio.Event)
    worker_id: str = ""

    @property
    def store(self) -> Any:
        return self.stream.deps.store

    @property
    def stats(self) -> Any:
        return self.stream.deps.stats

    @property
    def publisher(self) -> Any:
        return self.stream.publisher

    def worker_status(self) -> dict[str, Any]:
        return {
            "worker_id": self.worker_id,
            "partitions": sorted(self.stream.wheel.owned) if self.stream.recovered else [],
            "recovered": self.stream.recovered,
            "rebalancing": bool(getattr(self.stream.app, "rebalancing", False)),
            "timers": len(self.stream.wheel),
            "now": self.clock.now().isoformat(),
        }

    async def check_kafka(self) -> None:
        producer: Any = self.stream.app.producer
        client = producer._ensure_producer().client  # faust exposes no public broker probe
        await asyncio.wait_for(client.fetch_all_metadata(), timeout=5)

    async def check_assigned(self) -> None:
        if not self.stream.recovered:
            raise RuntimeError("partitions not assigned or tables still recovering")

    async def refresh_gauges(self, chunk: int = GAUGE_CHUNK) -> None:
        """Recount the colours of this worker's open stages, by partition, into the gauges and
        the board's parts (written to MongoDB for the whole platform's board).

        A scan costs ~5 µs per open stage (decoding the record), seconds at a million: it yields
        to the event loop every ``chunk`` records so timers and events are not held up.
        """
        now = self.clock.now()
        accumulators: dict[int, Accumulator] = {}
        for i, rec in enumerate(self.store.records(), 1):
            if i % chunk == 0:
                await asyncio.sleep(0)
            accumulators.setdefault(rec.partition, Accumulator(now)).add(rec)
        stats: dict[int, list[StatsRow]] = {}
        for row in self.stats.rows():
            stats.setdefault(row.partition, []).append(row)
        partitions = set(accumulators) | set(stats)
        parts = {
            p: accumulators.get(p, Accumulator(now)).part(stats.get(p, [])) for p in partitions
        }
        self.local_parts = parts
        set_gauges(parts.values())
        m.CALENDAR_DAYS_LEFT.set(self.calendar.coverage_days_left(now.date()))
        calendar_in_force(self.settings.service_name, self.calendar)
        if self.board_parts is not None and self.stream.recovered:
            owned = set(self.stream.wheel.owned)
            mine = {p: parts.get(p) or Accumulator(now).part([]) for p in owned}
            try:
                await self.board_parts.put(mine, at=now, worker=self.worker_id)
            except PyMongoError as exc:  # the board shows this worker's share meanwhile
                log.warning("board parts not written: %s", exc)

    async def board(self, **filters: str | None) -> dict[str, Any]:
        """The whole platform's board: every partition's latest part (this worker's own
        fresh from memory), merged; says which partitions it covers."""
        now = self.clock.now()
        parts: dict[int, Part] = {}
        if self.board_parts is not None:
            # parts are written every refresh of real time; the clock may run faster
            real_s = 5 * self.settings.monitor_board_refresh_s + 30
            max_age = timedelta(seconds=real_s * max(self.settings.clock_speed, 1.0))
            try:
                parts = await self.board_parts.fresh(now=now, max_age=max_age)
            except PyMongoError as exc:  # this worker's share still answers
                log.warning("board parts not read: %s", exc)
        parts.update(self.local_parts)
        board = merge(parts.values(), now, **filters)
        board["partitions"] = sorted(parts)
        board["partitions_total"] = TOPICS[T_STAGES].partitions
        return board

    async def calendar_in_step(self, version: str, timeout_s: float = 10.0) -> None:
        """Wait until this process's calendar feed runs ``version`` (an event computed on a
        newly published year may arrive a moment before the schedule itself)."""
        if self.calendar.has_run(version):
            return  # in force, or superseded by a later publication this process already runs
        deadline = time.monotonic() + timeout_s
        while not self.calendar.has_run(version) and time.monotonic() < deadline:
            self.calendar_swapped.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.calendar_swapped.wait(), deadline - time.monotonic())
        if not self.calendar.has_run(version):
            log.warning(
                "calendar %s not in force after %s s (running %s)",
                version,
                timeout_s,
                self.calendar.version,
            )

    async def on_calendar_changed(self, calendar: WorkingCalendar) -> None:
        calendar_in_force(self.settings.service_name, calendar)
        self.calendar_swapped.set()

    async def calendar_status(self) -> str:
        return calendar_summary(self.calendar, self.feed)

    async def refresh_lag(self) -> None:
        if not self.stream.recovered:
            return
        consumer = self.stream.app.consumer
        m.CONSUMER_LAG.clear()
        for tp in consumer.assignment():
            if tp.topic in (T_STAGES, T_CASES):
                try:  # during a rebalance a position may wait for the group: never hold
                    # the gauge refresh (and the board's parts written after it) on it
                    position = await asyncio.wait_for(consumer.position(tp), timeout=1.0)
                except (TimeoutError, KafkaError):
                    continue
                highwater = consumer.highwater(tp)  # None until the first fetch of tp answers
                if position is not None and highwater is not None:
                    lag = max(0, highwater - position)
                    m.CONSUMER_LAG.labels(tp.topic, str(tp.partition)).set(lag)


def build_deps(
    settings: MonitorSettings,
    *,
    store: CaseStore,
    stats: StatsStore,
    publisher: Publisher,
    scheduler: Scheduler,
    calendar: WorkingCalendar,
) -> Deps:
    """The handlers' dependencies; unit tests pass in-memory fakes here."""
    return Deps(
        store=store,
        stats=stats,
        publisher=publisher,
        scheduler=scheduler,
        calendar=calendar,
        warning=settings.warning_policy(),
        ladders=settings.ladder_policy(),
        findings=settings.finding_policy(),
    )


def create_api(service: MonitorService) -> FastAPI:
    """The HTTP app over the service's tables (the unit tests' fakes or the faust tables)."""
    settings = service.settings
    app = create_app(
        service=settings.service_name,
        routers=[router, register_router, history_router],
        readiness={
            "kafka": service.check_kafka,
            "partitions": service.check_assigned,
            "calendar": service.calendar_status,
        },
        description="Monitor: every open stage watched, lit and escalated on time (电子监察).",
        **public_surface(settings),
    )
    app.state.monitor = service
    app.state.verifier = TokenVerifier(settings)
    return app


def build(settings: MonitorSettings | None = None, *, clock: Clock | None = None) -> MonitorService:
    settings = settings or MonitorSettings()
    key_event_ids(settings)
    clock = clock or clock_from_settings(settings)
    calendar = calendar_from_settings(settings)
    stream = MonitorStream(settings, clock)
    stream.deps = build_deps(
        settings,
        store=TableCaseStore(stream.cases, lazy=settings.monitor_store == "rocksdb"),
        stats=TableStats(stream.stats),
        publisher=stream.publisher,
        scheduler=stream.wheel,
        calendar=calendar,
    )
    service = MonitorService(
        settings=settings,
        clock=clock,
        calendar=calendar,
        stream=stream,
        worker_id=settings.monitor_worker_id or f"{socket.gethostname()}:{os.getpid()}",
    )
    db = database(create_client(settings), settings)
    service.board_parts = MongoBoardParts(db)
    service.register = MongoRegister(db)
    service.history = MongoHistory(db)
    service.assessment_model = load_model(settings.assessment_model_file)
    service.public_cache = PublicCache(settings.public_statistics_cache_s)
    service.register_answer_days = settings.register_answer_working_days
    service.feed = CalendarFeed(
        settings,
        calendar,
        on_change=service.on_calendar_changed,
        catch_up_timeout_s=settings.calendar_catch_up_s,
    )
    stream.deps.calendar_in_step = service.calendar_in_step
    service.app = create_api(service)
    return service
