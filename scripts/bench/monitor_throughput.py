"""Benchmark 1: stage events per second one monitor worker handles, next to a bare aiokafka
consumer reading the same messages in the same run.

    EGOV_KAFKA_BOOTSTRAP=127.0.0.1:19203 .venv/bin/python scripts/bench/monitor_throughput.py --events 50000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from aiokafka import AIOKafkaConsumer, TopicPartition

from scripts.bench.monitor_common import WorkerProc, far_future, produce_stages, worker_env
from shared.contracts import T_STAGES


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def end_offsets(bootstrap: str) -> dict[TopicPartition, int]:
    c = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await c.start()
    try:
        tps = [TopicPartition(T_STAGES, p) for p in range(6)]
        return dict(await c.end_offsets(tps))
    finally:
        await c.stop()


async def bare_read(
    bootstrap: str, start: dict[TopicPartition, int], end: dict[TopicPartition, int]
) -> tuple[int, float]:
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


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=50_000)
    args = ap.parse_args()
    bootstrap = os.environ.get("EGOV_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
    run = uuid.uuid4().hex[:8]
    port = free_port()
    worker = WorkerProc(
        worker_env(
            bootstrap, f"egov-monitor-bench-{run}", port, EGOV_MONITOR_OFFSET_RESET="latest"
        ),
        port,
        Path(f"/tmp/monitor-bench-{run}.log"),
    )
    now = datetime.now(UTC)
    produce_s = await produce_stages(bootstrap, f"BT{run}", args.events, now, far_future(now))
    end = await end_offsets(bootstrap)
    start = {tp: 0 for tp in end}
    # The bare consumer reads the whole topic (our events plus whatever was there before).
    n_bare, bare_s, n_opened = await bare_read(bootstrap, start, end)
    print(f"bare read {n_bare} in {bare_s:.1f}s; {n_opened} opened", file=sys.stderr, flush=True)

    # A fresh consumer group from the earliest offset reads exactly the same messages.
    worker.start()
    t_first = t_done = None
    first_count = 0.0
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        handled = await worker.counter(
            "egov_events_consumed_total", event_type="gov.egov.stage.opened.v1", outcome="handled"
        )
        now_t = time.perf_counter()
        if handled > 0 and t_first is None:
            t_first, first_count = now_t, handled
        if int(now_t) % 5 == 0:
            print(f"handled {handled:.0f} / {n_opened}", file=sys.stderr, flush=True)
        if handled >= n_opened:
            t_done = now_t
            break
        await asyncio.sleep(0.25)
    rss_kb = worker.rss_kb()
    worker.stop()
    assert t_first is not None and t_done is not None, "worker did not finish"
    monitor_rate = (n_opened - first_count) / max(t_done - t_first, 1e-9)
    bare_rate = n_bare / bare_s
    result = {
        "events": args.events,
        "topic_messages": n_bare,
        "produce_rate": round(args.events / produce_s),
        "bare_consumer_rate": round(bare_rate),
        "monitor_rate": round(monitor_rate),
        "ratio": round(monitor_rate / bare_rate, 3),
        "worker_rss_mb_after": round(rss_kb / 1024, 1),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    asyncio.run(main())
