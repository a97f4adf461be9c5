"""Benchmark 1: stage events per second one monitor worker handles, next to a bare aiokafka
consumer reading the same messages in the same run.

    EGOV_KAFKA_BOOTSTRAP=127.0.0.1:19203 .venv/bin/python -m bench.monitor_throughput --events 50000
    ... --mode backlog   # the events first, then a new worker group reads them all from the start
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from aiokafka import AIOKafkaConsumer, TopicPartition

from bench.monitor_common import WorkerProc, far_future, produce_stages, worker_env
from shared.contracts import T_STAGES
from shared.kafka.client import connection_kwargs
from shared.kafka.offsets import verified_end_offsets
from shared.settings import ServiceSettings
from tests.support.processes import free_port


async def end_offsets(bootstrap: str) -> dict[TopicPartition, int]:
    # Verified: Tansu's ListOffsets lags behind batched produces (see shared/kafka/offsets.py).
    tps = [TopicPartition(T_STAGES, p) for p in range(6)]
    options = connection_kwargs(ServiceSettings(service_name="bench")) | {
        "bootstrap_servers": bootstrap
    }
    return await verified_end_offsets(tps, options)


async def bare_read(
    bootstrap: str, start: dict[TopicPartition, int], end: dict[TopicPartition, int]
) -> tuple[int, float, int]:
    c = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        max_partition_fetch_bytes=4 * 1024 * 1024,
    )
    await c.start()
    try:
        c.assign(list(start))
        for tp, off in start.items():
            c.seek(tp, off)
        n, t0, values = 0, time.perf_counter(), []
        left = {tp for tp in start if end[tp] > start[tp]}
        while left:
            batch = await c.getmany(timeout_ms=500, max_records=10000)
            for tp, msgs in batch.items():
                n += len(msgs)
                values.extend(m.value for m in msgs)
                if msgs and msgs[-1].offset >= end[tp] - 1:
                    left.discard(tp)
        took = time.perf_counter() - t0
        opened = sum(1 for v in values if b'"gov.egov.stage.opened.v1"' in (v or b""))
        return n, took, opened
    finally:
        await c.stop()


async def wait_handled(
    worker: WorkerProc, target: int, limit_s: float
) -> tuple[float, float, float]:
    """Poll the worker's counter until ``target`` StageOpened are handled (or it stops moving).

    Returns (first_seen_time, first_seen_count, done_time); done_time is 0.0 when it stalled."""
    t_first, first_count, last, last_move = 0.0, 0.0, -1.0, time.perf_counter()
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        handled = await worker.counter(
            "egov_events_consumed_total", event_type="gov.egov.stage.opened.v1", outcome="handled"
        )
        now_t = time.perf_counter()
        if handled > 0 and not t_first:
            t_first, first_count = now_t, handled
        if handled != last:
            last, last_move = handled, now_t
            print(f"handled {handled:.0f} / {target}", file=sys.stderr, flush=True)
        if handled >= target:
            return t_first, first_count, now_t
        if t_first and now_t - last_move > 60:
            print(f"STALLED at {handled:.0f} / {target} (no progress for 60 s)", file=sys.stderr)
            return t_first, first_count, 0.0
        await asyncio.sleep(0.25)
    return t_first, first_count, 0.0


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=50_000)
    ap.add_argument(
        "--mode",
        choices=("steady", "backlog"),
        default="steady",
        help="steady: the worker is running and caught up while the events are produced; "
        "backlog: the events are produced first, then a new worker group reads them from the start",
    )
    args = ap.parse_args()
    bootstrap = os.environ.get("EGOV_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
    run = uuid.uuid4().hex[:8]
    port = free_port()
    reset = "latest" if args.mode == "steady" else "earliest"
    worker = WorkerProc(
        worker_env(bootstrap, f"egov-monitor-bench-{run}", port, EGOV_MONITOR_OFFSET_RESET=reset),
        port,
        Path(f"/tmp/monitor-bench-{run}.log"),
    )
    before = await end_offsets(bootstrap)
    now = datetime.now(UTC)
    try:
        if args.mode == "steady":
            worker.start()
            await worker.wait_ready()
            produce_s = await produce_stages(
                bootstrap, f"BT{run}", args.events, now, far_future(now)
            )
            target = args.events
        else:
            produce_s = await produce_stages(
                bootstrap, f"BT{run}", args.events, now, far_future(now)
            )
            worker.start()
            # A new group from the earliest offset handles every StageOpened on the topic.
            target = -1
        end = await end_offsets(bootstrap)
        start = before if args.mode == "steady" else {tp: 0 for tp in end}
        # The bare consumer reads exactly the messages the worker has to read, in the same run.
        n_bare, bare_s, n_opened = await bare_read(bootstrap, start, end)
        print(f"bare read {n_bare} in {bare_s:.2f}s; {n_opened} opened", file=sys.stderr)
        target = n_opened if target < 0 else target
        t_first, first_count, t_done = await wait_handled(worker, target, limit_s=1800)
        rss_kb = worker.rss_kb()
    finally:
        worker.stop()
    if not t_done:
        print(json.dumps({"events": args.events, "mode": args.mode, "stalled": True}))
        sys.exit(1)
    monitor_rate = (target - first_count) / max(t_done - t_first, 1e-9)
    bare_rate = n_bare / bare_s
    result = {
        "events": args.events,
        "mode": args.mode,
        "topic_messages_read": n_bare,
        "produce_rate": round(args.events / produce_s),
        "bare_consumer_rate": round(bare_rate),
        "monitor_rate": round(monitor_rate),
        "ratio": round(monitor_rate / bare_rate, 3),
        "worker_rss_mb_after": round(rss_kb / 1024, 1),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    asyncio.run(main())
