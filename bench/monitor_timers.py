"""Benchmarks 2 and 3: timer latency with many open stages, memory per open stage, and the
time a SIGKILLed worker needs to rebuild its stages and resume firing.

    EGOV_KAFKA_BOOTSTRAP=127.0.0.1:19203 .venv/bin/python -m bench.monitor_timers \
        --open 100000 --probes 2000 --burst 2000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from bench.monitor_common import WorkerProc, far_future, produce_stages, worker_env
from bench.stats import percentile
from shared.contracts import T_SUPERVISION
from tests.support.processes import free_port


class OverdueReader:
    """Collects `stage overdue` events of one prefix: (record timestamp - due) in seconds."""

    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap
        self.delays: dict[str, list[float]] = {}
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, enable_auto_commit=False)
        await self.consumer.start()
        tps = [TopicPartition(T_SUPERVISION, p) for p in range(6)]
        self.consumer.assign(tps)
        await self.consumer.seek_to_end(*tps)
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            batch = await self.consumer.getmany(timeout_ms=200, max_records=10000)
            for msgs in batch.values():
                for m in msgs:
                    body = json.loads(m.value)
                    if not body["type"].endswith("stage.overdue.v1"):
                        continue
                    prefix = body["data"]["case_id"].split("-")[0]
                    due = datetime.fromisoformat(body["data"]["at"]).timestamp()
                    self.delays.setdefault(prefix, []).append(m.timestamp / 1000 - due)

    async def wait(self, prefix: str, n: int, limit_s: float) -> list[float]:
        deadline = time.monotonic() + limit_s
        while True:
            got = self.delays.get(prefix, [])
            if len(got) >= n or time.monotonic() > deadline:
                return got
            await asyncio.sleep(0.2)

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
        await self.consumer.stop()


def summary(delays: list[float], n: int) -> dict[str, Any]:
    return {
        "fired": len(delays),
        "expected": n,
        "p50_s": round(percentile(delays, 50), 3),
        "p99_s": round(percentile(delays, 99), 3),
        "max_s": round(max(delays), 3) if delays else None,
        "mean_s": round(statistics.fmean(delays), 3) if delays else None,
    }


async def burst(
    worker: WorkerProc, reader: OverdueReader, prefix: str, n: int, ingest_rate: float
) -> dict[str, Any]:
    """``n`` stages due at one instant, set far enough ahead (from this run's ingest rate) for
    the worker to hold them all in its timer index before they fall due: the delays then time
    the firing alone, not the intake of the stages (an earlier version gave the stages 5 s,
    less than the intake of 1,000 takes on a loaded machine). ``held_before_due_s`` is the
    slack left (negative: the figures include intake)."""
    before = (await worker.status()).get("timers", 0)
    lead_s = 5.0 + 2.0 * n / max(ingest_rate, 1.0)
    burst_at = datetime.now(UTC) + timedelta(seconds=lead_s)
    await produce_stages(bootstrap_of(worker), prefix, n, datetime.now(UTC), lambda i: burst_at)
    await worker.wait_ready(timers=before + n, limit_s=lead_s + 600)
    held = (burst_at - datetime.now(UTC)).total_seconds()
    delays = await reader.wait(prefix, n, max(0.0, held) + 300)
    return {**summary(delays, n), "lead_s": round(lead_s, 1), "held_before_due_s": round(held, 1)}


def bootstrap_of(worker: WorkerProc) -> str:
    return worker.env["EGOV_KAFKA_BOOTSTRAP"]


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--open", type=int, default=100_000, help="background open stages")
    ap.add_argument("--probes", type=int, default=2000, help="stages due spread over --window")
    ap.add_argument("--window", type=float, default=20.0, help="seconds over which probes fall due")
    ap.add_argument("--burst", type=int, default=2000, help="stages all due at one instant")
    ap.add_argument(
        "--empty-restart",
        action="store_true",
        help="after the recovery, SIGKILL again and restart on an emptied EGOV_MONITOR_DATA_DIR "
        "(a worker on a new node: everything from the changelogs)",
    )
    args = ap.parse_args()
    bootstrap = os.environ.get("EGOV_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
    run = uuid.uuid4().hex[:6]
    port = free_port()
    env = worker_env(
        bootstrap,
        f"egov-monitor-timers-{run}",
        port,
        EGOV_MONITOR_OFFSET_RESET="latest",
        EGOV_WARNING_MARGIN_WORKING_DAYS="0",
        EGOV_WARNING_MARGIN_FRACTION="0",
        EGOV_FINDING_AFTER_THE_FACT_S="1e12",
    )
    worker = WorkerProc(env, port, Path(f"/tmp/monitor-timers-{run}.log"))
    worker.start()
    cold_ready = await worker.wait_ready()
    rss0 = worker.rss_kb()
    result: dict[str, Any] = {
        "app_id": env["EGOV_MONITOR_APP_ID"],
        "open": args.open,
        "cold_start_ready_s": round(cold_ready, 1),
    }

    now = datetime.now(UTC)
    t0 = time.perf_counter()
    await produce_stages(bootstrap, f"BG{run}", args.open, now, far_future(now))
    await worker.wait_ready(timers=args.open, limit_s=1800)
    ingest_s = time.perf_counter() - t0
    await asyncio.sleep(2)
    rss1 = worker.rss_kb()
    result.update(
        ingest_s=round(ingest_s, 1),
        ingest_rate=round(args.open / ingest_s),
        rss_mb_before=round(rss0 / 1024, 1),
        rss_mb_after=round(rss1 / 1024, 1),
        bytes_per_open_stage=round((rss1 - rss0) * 1024 / args.open),
    )

    print(json.dumps(result), file=sys.stderr, flush=True)
    reader = OverdueReader(bootstrap)
    await reader.start()
    start = datetime.now(UTC) + timedelta(seconds=5)
    step = args.window / max(args.probes, 1)
    await produce_stages(
        bootstrap,
        f"PR{run}",
        args.probes,
        datetime.now(UTC),
        lambda i: start + timedelta(seconds=i * step),
    )
    result["spread"] = {
        "rate_per_s": round(args.probes / args.window),
        **summary(await reader.wait(f"PR{run}", args.probes, args.window + 120), args.probes),
    }

    print(json.dumps(result), file=sys.stderr, flush=True)
    result["burst"] = await burst(worker, reader, f"BU{run}", args.burst, result["ingest_rate"])

    print(json.dumps(result), file=sys.stderr, flush=True)
    # Recovery: SIGKILL, restart, time until every open stage is back in the timer index and a
    # stage that fell due while the worker was down has fired.
    total_timers = (await worker.status()).get("timers", 0)
    due_while_down = datetime.now(UTC) + timedelta(seconds=3)
    await produce_stages(bootstrap, f"RC{run}", 100, datetime.now(UTC), lambda i: due_while_down)
    await asyncio.sleep(1)
    worker.kill()
    killed = time.perf_counter()
    worker.start()
    ready = await worker.wait_ready(timers=total_timers, limit_s=1800)
    fired = await reader.wait(f"RC{run}", 100, 120)
    result["recovery"] = {
        "timers_rebuilt": (await worker.status()).get("timers"),
        "restart_to_ready_s": round(ready, 1),
        "kill_to_due_fired_s": round(time.perf_counter() - killed, 1),
        "due_while_down_fired": len(fired),
    }
    if args.empty_restart:
        data_dir = os.environ.get("EGOV_MONITOR_DATA_DIR")
        total_timers = (await worker.status()).get("timers", 0)
        worker.kill()
        if data_dir:
            shutil.rmtree(data_dir, ignore_errors=True)
        worker.start()
        ready = await worker.wait_ready(timers=total_timers, limit_s=1800)
        result["empty_restart"] = {
            "timers_rebuilt": (await worker.status()).get("timers"),
            "restart_to_ready_s": round(ready, 1),
            "data_dir_emptied": bool(data_dir),
        }
    await reader.stop()
    worker.stop()
    print(json.dumps(result))


if __name__ == "__main__":
    asyncio.run(main())
