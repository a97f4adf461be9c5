"""Chaos run: the simulated day while services are SIGKILLed at random moments and restarted,
and the broker (durable mode, on a local S3 store) is restarted once; then the same invariants
as the end-to-end suite must hold: nothing lost, nothing applied twice.

    python -m tests.support.chaos --cases 60 --kills 12        # the full run (minutes)
    python -m tests.support.chaos --cases 10 --kills 4         # the variant in `make test`
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from demo.bus import read_all
from demo.day import (
    COURT,
    Day,
    DayResult,
    Endpoints,
    monitor_open_stages,
)
from dev import devstack
from dev.devsms import make_server
from shared.calendar import load_default_calendar
from shared.clock import SimulatedClock
from shared.settings import ServiceSettings
from tests.support.invariants import Expectations, check
from tests.support.processes import SERVICES, Platform, free_port

REPO = Path(__file__).resolve().parents[2]

# Wednesday 2026-12-30: the run crosses into 2027, a year without a published holiday schedule.
SIM_ORIGIN = datetime.fromisoformat("2026-12-30T09:00:00+08:00")
# A broker restarted on its data while the platform and other suites keep two cores busy can
# take longer than devstack's interactive default (measured: over 30 s at a load of 10).
BROKER_READY_TIMEOUT_S = 120.0


@dataclass
class ChaosReport:
    kills: list[str] = field(default_factory=list)
    broker_restarts: int = 0
    crashes_restarted: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    day: DayResult | None = None
    seconds: float = 0.0

    def ok(self) -> bool:
        return not self.violations and self.day is not None and not self.day.errors


def _object_store(stack_env: dict[str, str]) -> dict[str, str]:
    """The stack's object store for the services (decision and licence PDFs, the archive)."""
    return {k: v for k, v in stack_env.items() if k == "EGOV_OBJECT_STORE_URL"}


async def chaos_monkey(
    platform: Platform,
    state_dir: Path,
    kafka_port: int,
    kills: int,
    rnd: random.Random,
    stop: asyncio.Event,
    report: ChaosReport,
) -> None:
    loop = asyncio.get_running_loop()
    broker_at = kills // 2
    for k in range(kills):
        try:
            await asyncio.wait_for(stop.wait(), rnd.uniform(4, 10))
            return
        except TimeoutError:
            pass
        if k == broker_at:
            devstack.stop_processes(state_dir, ["kafka"], log=lambda *_: None)
            await asyncio.sleep(2)
            await loop.run_in_executor(
                None,
                lambda: devstack.start_stack(
                    state_dir,
                    kafka_port=kafka_port,
                    mongo_port=0,
                    durable=True,
                    memory_db=True,
                    objects=True,
                    timeout=BROKER_READY_TIMEOUT_S,
                    log=lambda *_: None,
                ),
            )
            report.broker_restarts += 1
            continue
        name = rnd.choice(SERVICES)
        svc = platform.services[name]
        svc.restart(crash=True)
        report.kills.append(name)
        await loop.run_in_executor(None, svc.wait_healthy)


async def supervisor(platform: Platform, stop: asyncio.Event, report: ChaosReport) -> None:
    """Like Kubernetes: a process that died on its own is started again."""
    while not stop.is_set():
        for name, svc in platform.services.items():
            if svc.proc is not None and svc.proc.poll() is not None:
                report.crashes_restarted.append(name)
                svc.start()
        await asyncio.sleep(1)


async def run(cases: int, kills: int, seed: int, speed: float, workdir: Path) -> ChaosReport:
    report = ChaosReport()
    started = time.monotonic()
    state = workdir / "stack"
    loop = asyncio.get_running_loop()
    # devstack's readiness checks run their own event loop: call them from a thread.
    stack = await loop.run_in_executor(
        None,
        lambda: devstack.start_stack(
            state,
            kafka_port=0,
            mongo_port=0,
            durable=True,
            memory_db=True,
            objects=True,
            timeout=BROKER_READY_TIMEOUT_S,
        ),
    )
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Mailbox

    smtp_port, sms_port = free_port(), free_port()
    mail = Controller(Mailbox(str(workdir / "mail")), hostname="127.0.0.1", port=smtp_port)
    sms = make_server("127.0.0.1", sms_port, workdir / "sms.jsonl")
    epoch = datetime.now(UTC)
    platform = Platform(
        stack.kafka_bootstrap,
        stack.mongo_uri,
        workdir / "logs",
        db_prefix="chaos",
        identities=devstack.service_identities(stack.env()),
        extra_env={
            "EGOV_CLOCK_SPEED": str(speed),
            "EGOV_CLOCK_REAL_EPOCH": epoch.isoformat(),
            "EGOV_CLOCK_SIM_ORIGIN": SIM_ORIGIN.isoformat(),
            "EGOV_SMTP_PORT": str(smtp_port),
            "EGOV_SMS_GATEWAY_URL": f"http://127.0.0.1:{sms_port}/sms",
            "EGOV_RETRY_BASE_S": "0.5",
            "EGOV_LOG_LEVEL": "WARNING",
            **_object_store(stack.env()),
        },
    )
    try:
        if not await loop.run_in_executor(None, devstack.ensure_topics, stack.env()):
            raise RuntimeError("could not create topics")
        mail.start()
        threading.Thread(target=sms.serve_forever, daemon=True).start()
        platform.start()
        clock = SimulatedClock(epoch, SIM_ORIGIN, speed)
        settings = ServiceSettings(service_name="chaos", kafka_bootstrap=stack.kafka_bootstrap)
        ep = Endpoints(*(platform.url(s) for s in SERVICES), stack.kafka_bootstrap)
        day = Day(
            ep,
            clock=clock,
            calendar=load_default_calendar(),
            settings=settings,
            cases=cases,
            seed=seed,
            concurrency=4,
        )
        stop = asyncio.Event()
        rnd = random.Random(seed)
        monkey = asyncio.create_task(
            chaos_monkey(platform, state, stack.kafka_port, kills, rnd, stop, report)
        )
        guard = asyncio.create_task(supervisor(platform, stop, report))
        try:
            report.day = await day.run(limit_s=900)
        finally:
            stop.set()
            await monkey
            guard.cancel()
        for svc in platform.services.values():  # everyone back up before the check
            if svc.proc is None or svc.proc.poll() is not None:
                svc.start()
            svc.wait_healthy()
        await asyncio.sleep(10)  # drain outboxes and pending notifications
        import httpx

        async with httpx.AsyncClient(timeout=10) as http:
            monitor_open = await monitor_open_stages(
                http, ep.monitor, day.by_case, day.officers.system_headers()
            )
        records = await read_all(stack.kafka_bootstrap)
        report.violations = check(
            records,
            Expectations(
                now=clock.now(),
                monitor_open=monitor_open,
                external_credit_sources={COURT},
                cases=set(day.by_case),
            ),
        )
    finally:
        platform.stop()
        sms.shutdown()
        try:
            mail.stop()
        except Exception:  # noqa: BLE001
            pass
        devstack.stop_stack(state, log=lambda *_: None)
        report.seconds = time.monotonic() - started
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=60)
    parser.add_argument("--kills", type=int, default=12)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--speed", type=float, default=4000)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="egov-chaos-"))
    report = asyncio.run(run(args.cases, args.kills, args.seed, args.speed, workdir))
    print(
        f"chaos run: {report.seconds:.0f} s, killed {len(report.kills)} "
        f"({', '.join(report.kills)}), broker restarts {report.broker_restarts}, "
        f"crashed and restarted {report.crashes_restarted}"
    )
    if report.day:
        print(f"day: {len(report.day.planned)} cases, actions {dict(report.day.actions)}")
        for e in report.day.errors[:20]:
            print(f"  error: {e}")
    for v in report.violations[:50]:
        print(f"  violation: {v}")
    print(f"logs: {workdir / 'logs'}")
    return 0 if report.ok() else 1


if __name__ == "__main__":
    sys.exit(main())
