"""In-process bounds (no broker): handler cost per StageOpened, memory per open stage in the
table record and in the timer index, and the timer index at 1,000,000 stages.

    .venv/bin/python -m bench.monitor_inprocess --stages 100000 --wheel 1000000
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import time
import tracemalloc
from datetime import UTC, datetime, timedelta

from services.monitor import handlers as h
from services.monitor.bootstrap import build_deps
from services.monitor.settings import MonitorSettings
from services.monitor.store import TableCaseStore
from services.monitor.timers import TimerWheel
from shared.calendar import Limit, load_default_calendar
from shared.clock import FixedClock
from shared.contracts import StageOpened, make_envelope


class Nothing:
    async def publish(self, envelopes):  # type: ignore[no-untyped-def]
        return None

    def bump(self, *a, **k):  # type: ignore[no-untyped-def]
        return None


async def handlers_bench(n: int, trace: bool) -> dict[str, float]:
    now = datetime(2026, 3, 2, 9, tzinfo=UTC)
    wheel = TimerWheel(FixedClock(now))
    wheel.assign(range(6), [])
    store = TableCaseStore({})  # the worker's table adapter over a plain dict
    deps = build_deps(
        MonitorSettings(),
        store=store,
        stats=Nothing(),
        publisher=Nothing(),  # type: ignore[arg-type]
        scheduler=wheel,
        calendar=load_default_calendar(),
    )
    events = []
    for i in range(n):
        data = StageOpened(
            case_id=f"C{i:08d}",
            stage_id=f"S{i:08d}",
            stage="review",
            name="review",  # type: ignore[arg-type]
            item_code="ITEM",
            department="DEPT",
            region="500000",
            assignee="o",
            opened_at=now,
            due_at=now + timedelta(days=14, seconds=i % 86400),
            limit=Limit(value=10),
        )
        events.append((make_envelope(data, source="/b", time=now), data))
    gc.collect()
    if trace:
        tracemalloc.start()
    t0 = time.perf_counter()
    for i, (env, data) in enumerate(events):
        await h.on_stage_opened(deps.arrived(h.Incoming(i % 6, now, now)), env, data)
    took = time.perf_counter() - t0
    used, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "stages": n,
        "handler_rate_per_s": round(n / took),
        "bytes_per_stage_table_and_index": round(used / n),
    }


def wheel_bench(n: int) -> dict[str, float]:
    now = datetime(2026, 3, 2, 9, tzinfo=UTC)
    clock = FixedClock(now)
    wheel = TimerWheel(clock, batch=n)
    base = now.timestamp()
    gc.collect()
    tracemalloc.start()
    t0 = time.perf_counter()
    wheel.assign(
        range(6), ((i % 6, f"C{i:08d}", f"S{i:08d}", base + 10 + i % 3600) for i in range(n))
    )
    rebuild = time.perf_counter() - t0
    used, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    t0 = time.perf_counter()
    for i in range(10_000):
        wheel.schedule(i % 6, f"X{i}", "s", now + timedelta(seconds=5 + i))
    schedule_us = (time.perf_counter() - t0) / 10_000 * 1e6
    # Everything falls due at once: how long does popping the whole index take?
    t0 = time.perf_counter()
    popped = len(wheel.pop_due(base + 10_000_000))
    pop_s = time.perf_counter() - t0
    return {
        "entries": n,
        "rebuild_s": round(rebuild, 2),
        "bytes_per_entry": round(used / n),
        "schedule_us": round(schedule_us, 2),
        "pop_all_s": round(pop_s, 2),
        "popped": popped,
    }


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--stages", type=int, default=100_000)
    ap.add_argument("--wheel", type=int, default=1_000_000)
    args = ap.parse_args()
    rate = await handlers_bench(args.stages, trace=False)
    memory = await handlers_bench(args.stages, trace=True)  # tracemalloc slows it: rate from above
    handlers = {
        **rate,
        "bytes_per_stage_table_and_index": memory["bytes_per_stage_table_and_index"],
    }
    print(json.dumps({"handlers": handlers, "wheel": wheel_bench(args.wheel)}))


if __name__ == "__main__":
    asyncio.run(main())
