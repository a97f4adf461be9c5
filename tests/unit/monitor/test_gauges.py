"""The colour gauges: recounted from the table, yielding to the event loop on large boards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from prometheus_client import REGISTRY

from services.monitor.bootstrap import MonitorService
from services.monitor.settings import MonitorSettings
from services.monitor.stream import TableCaseStore
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
        store.put(case_id, {"p": 0, "case_id": case_id, "stages": stages})
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
