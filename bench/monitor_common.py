"""Helpers for the monitor benchmarks: produce stage events, run a worker, read its state."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psutil
from aiokafka import AIOKafkaProducer

from shared.calendar import Limit
from shared.contracts import T_STAGES, StageOpened, make_envelope
from tests.support.metrics import sample_sum

ROOT = Path(__file__).resolve().parents[1]


def opened_bytes(case_id: str, opened: datetime, due: datetime) -> tuple[bytes, bytes]:
    data = StageOpened(
        case_id=case_id,
        stage_id=f"{case_id}-s",
        stage="review",  # type: ignore[arg-type]
        name="review",
        item_code="BENCH-ITEM",
        department="BENCH-DEPT",
        region="500000",
        assignee="officer",
        opened_at=opened,
        due_at=due,
        limit=Limit(value=5),
    )
    env = make_envelope(data, source="/egov/bench", time=opened)
    return case_id.encode(), env.to_json_bytes()


async def produce_stages(
    bootstrap: str, prefix: str, n: int, opened: datetime, due_of: Any, start: int = 0
) -> float:
    """Produce ``n`` StageOpened events; returns the seconds it took."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", linger_ms=20, max_batch_size=512 * 1024
    )
    await producer.start()
    t0 = time.perf_counter()
    try:
        pending = []
        for i in range(start, start + n):
            key, value = opened_bytes(f"{prefix}-{i}", opened, due_of(i))
            pending.append(await producer.send(T_STAGES, value, key=key))
            if len(pending) >= 5000:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return time.perf_counter() - t0


@dataclass
class WorkerProc:
    env: dict[str, str]
    port: int
    log: Path
    proc: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0

    def start(self) -> None:
        self.started_at = time.perf_counter()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "services.monitor"],
            cwd=ROOT,
            env=self.env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
        )

    def rss_kb(self) -> int:
        assert self.proc is not None
        try:
            return int(psutil.Process(self.proc.pid).memory_info().rss) // 1024
        except psutil.Error:
            return 0

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    async def status(self) -> dict[str, Any]:
        try:
            async with httpx.AsyncClient(timeout=10) as c:
                return (await c.get(f"http://127.0.0.1:{self.port}/v1/worker")).json()
        except (httpx.HTTPError, ValueError):
            return {}

    async def counter(self, name: str, **labels: str) -> float:
        """Sum of a Prometheus sample over the series matching ``labels``."""
        try:
            async with httpx.AsyncClient(timeout=10) as c:
                text = (await c.get(f"http://127.0.0.1:{self.port}/metrics")).text
        except httpx.HTTPError:
            return 0.0
        return sample_sum(text, name, **labels)

    async def wait_ready(self, timers: int | None = None, limit_s: float = 600) -> float:
        """Seconds from process start until it owns all 6 partitions (and ``timers`` timers)."""
        deadline = time.monotonic() + limit_s
        while time.monotonic() < deadline:
            st = await self.status()
            if st.get("partitions") == list(range(6)) and (
                timers is None or st.get("timers", -1) >= timers
            ):
                return time.perf_counter() - self.started_at
            assert self.proc is not None and self.proc.poll() is None, f"worker died: {self.log}"
            await asyncio.sleep(0.2)
        raise TimeoutError("worker never became ready")


def worker_env(bootstrap: str, app_id: str, port: int, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "EGOV_KAFKA_BOOTSTRAP": bootstrap,
        "EGOV_MONITOR_APP_ID": app_id,
        "EGOV_HTTP_PORT": str(port),
        "EGOV_LOG_JSON": "false",
        "EGOV_LOG_LEVEL": "WARNING",
        "EGOV_MONITOR_BOARD_REFRESH_S": "3600",
        **extra,
    }


def far_future(now: datetime) -> Any:
    return lambda i: now + timedelta(days=20, seconds=i % 86_400)
