"""Periodic work of a monitor worker, run next to the faust app: the HTTP server, the timer loop,
the gauge refresh, the register's and the history's feeds."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

import uvicorn
from mode import Service

from services.monitor import metrics as m
from services.monitor.board import LIGHTS, Part
from services.monitor.history.feed import follow as follow_history
from services.monitor.register_feed import follow_supervision
from shared.jobs import one_round
from shared.observability.metrics import serve_metrics

if TYPE_CHECKING:  # bootstrap builds the service and imports the gauges from here
    from services.monitor.bootstrap import MonitorService

log = logging.getLogger(__name__)


def set_gauges(parts: Iterable[Part]) -> None:
    """The colour, provisional, rectification and on-time gauges from this worker's parts."""
    lights: Counter[tuple[str, str, str, str]] = Counter()
    provisional: Counter[tuple[str, str, str]] = Counter()
    rect_open: Counter[tuple[str, str, str]] = Counter()
    rect_over: Counter[tuple[str, str, str]] = Counter()
    closed: Counter[tuple[str, str, str]] = Counter()
    in_time: Counter[tuple[str, str, str]] = Counter()
    for part in parts:
        for row in part["rows"]:
            labels = (row["department"], row["item_code"], row["region"])
            for light in LIGHTS:
                if row.get(light):
                    lights[(*labels, light)] += row[light]
            provisional[labels] += row.get("provisional", 0)
            if "rect_open" in row:
                rect_open[labels] += row["rect_open"]
                rect_over[labels] += row.get("rect_overdue", 0)
        for row in part["stats"]:
            row_labels = (row["department"], row["item_code"], row["region"])
            closed[row_labels] += row.get("closed", 0)
            in_time[row_labels] += row.get("on_time", 0)
    m.OPEN_STAGES.clear()
    for key, n in lights.items():
        m.OPEN_STAGES.labels(*key).set(n)
    m.OPEN_STAGES_PROVISIONAL.clear()
    for pkey, n in provisional.items():
        m.OPEN_STAGES_PROVISIONAL.labels(*pkey).set(n)
    m.RECTIFICATIONS_OPEN.clear()
    m.RECTIFICATIONS_OVERDUE.clear()
    for rkey, n in rect_open.items():
        m.RECTIFICATIONS_OPEN.labels(*rkey).set(n)
        m.RECTIFICATIONS_OVERDUE.labels(*rkey).set(rect_over[rkey])
    m.ON_TIME_RATIO.clear()
    for ckey, n in closed.items():
        if n:
            m.ON_TIME_RATIO.labels(*ckey).set(in_time[ckey] / n)


class _EmbeddedServer(uvicorn.Server):
    """uvicorn inside the faust worker's loop: the worker owns the signal handlers."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class MonitorLoops(Service):
    """HTTP server, timer loop and gauge refresh, run next to the faust app by the worker."""

    def __init__(self, monitor: MonitorService, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.monitor = monitor
        self._server: _EmbeddedServer | None = None
        self._http: asyncio.Task[None] | None = None

    async def on_start(self) -> None:
        s = self.monitor.settings
        await self.monitor.feed.start()
        config = uvicorn.Config(
            self.monitor.app, host=s.http_host, port=s.http_port, log_config=None, lifespan="off"
        )
        self._server = _EmbeddedServer(config)
        self._http = asyncio.create_task(self._server.serve())
        serve_metrics(s.http_host, s.metrics_port)

    async def on_stop(self) -> None:
        await self.monitor.feed.stop()
        if self._server is not None and self._http is not None:
            self._server.should_exit = True
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._http, timeout=5)

    @Service.task
    async def _register(self) -> None:
        """Findings and escalations into the register; answers gone late found."""
        monitor, s = self.monitor, self.monitor.settings
        if monitor.register is None:
            return
        await follow_supervision(
            s,
            monitor.register,
            monitor.publisher,
            monitor.calendar,
            group_id=f"{s.monitor_app_id}-register",
            answer_working_days=s.register_answer_working_days,
        )

    @Service.task
    async def _history(self) -> None:
        """The supervision history (docs/assessment.md): every case's events into MongoDB."""
        monitor, s = self.monitor, self.monitor.settings
        if monitor.history is None:
            return
        group_id = f"{s.monitor_app_id}-history"
        await follow_history(s, monitor.history, monitor.calendar, group_id=group_id)

    @Service.task
    async def _timers(self) -> None:
        await self.monitor.stream.run_timers()

    @Service.task
    async def _gauges(self) -> None:
        """The colour gauges and this worker's board parts. A large board takes seconds to
        scan: the scans keep to a fifth of the worker's time."""
        while not self.should_stop:
            started = time.monotonic()
            await one_round(self.monitor.refresh_gauges, what="gauge refresh")
            took = time.monotonic() - started
            await self.sleep(max(self.monitor.settings.monitor_board_refresh_s, 4 * took))

    @Service.task
    async def _lag(self) -> None:
        """Consumer lag, in a loop of its own: asking the consumer for a position may wait on
        (or be dropped by) a rebalance, and the board's parts must not wait with it."""
        while not self.should_stop:
            await one_round(self.monitor.refresh_lag, what="consumer lag refresh")
            await self.sleep(self.monitor.settings.monitor_board_refresh_s)
