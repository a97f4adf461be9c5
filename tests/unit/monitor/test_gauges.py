"""The colour gauges: recounted from the table, yielding to the event loop on large boards."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from prometheus_client import REGISTRY

from services.monitor.bootstrap import MonitorService
from services.monitor.ports import CaseRecord
from services.monitor.settings import MonitorSettings
from services.monitor.store import TableCaseStore
from services.monitor.timers import TimerWheel
from shared.calendar import load_default_calendar
from shared.clock import FixedClock

NOW = datetime(2026, 3, 10, 10, tzinfo=UTC)


def _stage(sid: str, due: datetime, warn: datetime, **extra: Any) -> dict[str, Any]:
    return {
        "stage_id": sid,
        "department": "GAUGE-DEPT",
        "item_code": "GAUGE-ITEM",
        "region": "500000",
        "due_at": due.isoformat(),
        "warn_at": warn.isoformat(),
        **extra,
    }


def _service(records: dict[str, Any]) -> MonitorService:
    store = TableCaseStore({})
    for case_id, stages in records.items():
        store.put(case_id, CaseRecord(case_id=case_id, partition=0, stages=stages))
    stream: Any = SimpleNamespace(
        deps=SimpleNamespace(store=store, stats=SimpleNamespace(rows=lambda: iter([])))
    )
    service = object.__new__(MonitorService)  # the gauges need no faust app or HTTP server
    service.settings, service.clock = MonitorSettings(), FixedClock(NOW)
    service.calendar, service.stream = load_default_calendar(), stream
    return service


def _open(light: str) -> float | None:
    labels = {"department": "GAUGE-DEPT", "item_code": "GAUGE-ITEM", "region": "500000"}
    return REGISTRY.get_sample_value("egov_monitor_open_stages", {**labels, "light": light})


async def test_lights_are_counted_in_chunks_and_closed_stages_left_out() -> None:
    day = timedelta(days=1)
    records = {
        f"C{i}": {f"C{i}-s": _stage(f"C{i}-s", NOW + 5 * day, NOW + 4 * day)} for i in range(5)
    }
    records["Y"] = {"Y-s": _stage("Y-s", NOW + day, NOW - day)}
    records["R"] = {"R-s": _stage("R-s", NOW - day, NOW - 2 * day)}
    records["X"] = {"X-s": _stage("X-s", NOW - day, NOW - 2 * day, status="closed")}
    await _service(records).refresh_gauges(chunk=2)
    assert (_open("green"), _open("yellow"), _open("red")) == (5, 1, 1)


async def test_the_timer_loop_fires_while_the_gauges_scan_a_large_board() -> None:
    records = {
        f"C{i}": {f"C{i}-s": _stage(f"C{i}-s", NOW + timedelta(days=5), NOW)} for i in range(3000)
    }
    service = _service(records)
    wheel = TimerWheel(FixedClock(NOW), max_sleep_s=0.01)
    wheel.assign([0], [])
    scanned, fired_after = [0], []
    store = service.stream.deps.store

    def scanning() -> Any:
        for rec in TableCaseStore.records(store):
            if scanned[0] == 0:  # a stage falls due as the scan starts
                wheel.schedule(0, "DUE", "DUE-s", NOW - timedelta(seconds=1))
            scanned[0] += 1
            yield rec

    async def fire(due: list[tuple[int, str, str, float]]) -> None:
        fired_after.append(scanned[0])

    service.stream.deps.store = SimpleNamespace(records=scanning)
    loop = asyncio.create_task(wheel.run(fire))
    await service.refresh_gauges(chunk=100)
    loop.cancel()
    assert scanned[0] == 3000
    assert fired_after and fired_after[0] < 3000  # fired mid-scan, not after it
