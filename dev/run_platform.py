"""The whole platform on this machine: the local stack, its topics, the services and any extra
local processes, in the foreground until Ctrl-C or `make stop`.

    python -m dev.run_platform start [--durable]    # make run [DURABLE=1]
    python -m dev.run_platform stop                 # make stop, from another terminal
    python -m dev.run_platform status

Stack ports: EGOV_DEV_KAFKA_PORT (default 9092) and EGOV_DEV_MONGO_PORT (default 27017).
State, pid files and logs live in .dev/local.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as time_of_day
from pathlib import Path
from types import FrameType

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dev import devstack  # noqa: E402

STATE_DIR = devstack.DEFAULT_STATE_DIR
PLATFORM = "platform"  # name of this process's own pid file
STACK = ("s3", "kafka", "mongo")
PLATFORM_STOP_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class ProcessSpec:
    """A process `make run` starts beside the stack (later: a local SMTP server, Prometheus)."""

    name: str
    argv: tuple[str, ...]
    port: int
    health_path: str | None = "/healthz"  # None: ready once the port accepts connections
    links: tuple[str, ...] = ()  # paths listed in the table of URLs
    env: Mapping[str, str] = field(default_factory=dict)
    requires: str | None = None  # repo-relative file; skipped with a warning while it is missing
    scheme: str = "http"  # what the port speaks, as the banner shows it (smtp for the mail server)

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def launch(self, stack_env: Mapping[str, str]) -> devstack.Launch:
        health = self.health_path

        def ready() -> bool:
            if health is None:
                return devstack.port_open(self.port)
            return devstack.http_ok(self.url + health)

        return devstack.Launch(self.name, self.argv, ready, {**stack_env, **self.env})


def _service(name: str, port: int) -> ProcessSpec:
    return ProcessSpec(
        name=name,
        argv=(sys.executable, "-m", f"services.{name}"),
        port=port,
        health_path="/readyz",  # started = answering and connected to the broker and database
        links=("/docs", "/metrics", "/readyz"),
        env={"EGOV_SERVICE_NAME": name, "EGOV_HTTP_PORT": str(port), "PYTHONUNBUFFERED": "1"},
        requires=f"services/{name}/__main__.py",
    )


MAIL_DIR = STATE_DIR / "mail"

PROCESSES: list[ProcessSpec] = [
    # A local SMTP server that keeps every mail the platform sends in a maildir to read.
    ProcessSpec(
        name="smtp",
        argv=(
            sys.executable,
            "-m",
            "dev.devsmtp",
            "--host",
            "127.0.0.1",
            "--port",
            "8025",
            "--maildir",
            str(MAIL_DIR),
        ),
        port=8025,
        health_path=None,
        requires="dev/devsmtp.py",
        scheme="smtp",
    ),
    # A stand-in SMS gateway that writes every SMS to a JSON-lines file.
    ProcessSpec(
        name="sms",
        argv=(
            sys.executable,
            "-m",
            "dev.devsms",
            "--port",
            "8026",
            "--out",
            str(STATE_DIR / "sms.jsonl"),
        ),
        port=8026,
        health_path=None,
        requires="dev/devsms.py",
    ),
    _service("intake", 8001),
    _service("approval", 8002),
    _service("monitor", 8003),
    _service("notify", 8004),
    _service("credit", 8005),
]

# Local observability: Prometheus (Debian package `prometheus`) scraping the services with the
# same alert rules as the cluster. Skipped with a note when the binary is not installed.
PROMETHEUS_BIN = shutil.which("prometheus")
if PROMETHEUS_BIN:
    PROCESSES.append(
        ProcessSpec(
            name="prometheus",
            argv=(
                PROMETHEUS_BIN,
                "--config.file=deploy/prometheus/prometheus.local.yml",
                f"--storage.tsdb.path={STATE_DIR / 'prometheus'}",
                "--web.listen-address=127.0.0.1:9090",
                "--storage.tsdb.retention.time=7d",
            ),
            port=9090,
            health_path="/-/ready",
            links=("/alerts", "/targets", "/graph"),
            requires="deploy/prometheus/prometheus.local.yml",
        )
    )


class Shutdown(Exception):
    """Ctrl-C or SIGTERM (`make stop`) arrived."""


def _shutdown(signum: int, frame: FrameType | None) -> None:
    raise Shutdown


def _available(specs: Sequence[ProcessSpec]) -> list[ProcessSpec]:
    present = []
    for spec in specs:
        if spec.requires and not (devstack.REPO_ROOT / spec.requires).exists():
            print(f"warning: skipping {spec.name}: {spec.requires} does not exist yet")
        else:
            present.append(spec)
    return present


def _start_processes(specs: Sequence[ProcessSpec], stack_env: Mapping[str, str]) -> None:
    """Launch every process, then wait for each: they start in parallel."""
    waits = []
    identities = devstack.service_identities(stack_env)  # each service as its own principal
    for spec in specs:
        if devstack.port_open(spec.port):
            raise devstack.StackError(
                f"port {spec.port} for {spec.name} is taken by another process"
            )
        launch = spec.launch({**stack_env, **identities.get(spec.name, {})})
        pid = devstack.launch(launch, STATE_DIR)
        waits.append((launch, pid))
    for launch, pid in waits:
        devstack.wait_ready(launch, pid, STATE_DIR)


def _print_table(stack: devstack.StackInfo, specs: Sequence[ProcessSpec]) -> None:
    print(f"\nthe platform is running (pid {os.getpid()}); Ctrl-C or `make stop` stops it")
    print(f"  {'kafka':<10} {stack.kafka_bootstrap}  ({stack.broker_label})")
    print(f"  {'mongo':<10} {stack.mongo_uri}")
    for spec in specs:
        links = "  ".join(spec.url + link for link in spec.links) or spec.url
        print(f"  {spec.name:<10} {links}")
    print(f"mail: {MAIL_DIR} (maildir: new/ holds what the platform sent)")
    print(f"sms:  {STATE_DIR / 'sms.jsonl'}")
    print(f"logs: {STATE_DIR / 'logs'}", flush=True)


def _watch(specs: Sequence[ProcessSpec]) -> None:
    """Wait for Shutdown, reporting (once) any process that exits on its own."""
    reported: set[str] = set()
    while True:
        time.sleep(1.0)
        for spec in specs:
            if spec.name not in reported and devstack.running_pid(STATE_DIR, spec.name) is None:
                reported.add(spec.name)
                print(f"warning: {spec.name} exited\n{devstack.log_tail(STATE_DIR, spec.name)}")


CLOCK_FILE = STATE_DIR / "clock.json"


# Simulated weeks an accelerated run needs inside the holiday calendar's coverage: cases opened
# during the day have limits of up to 60 working days, and the ladder runs days past them.
SIM_SPAN_DAYS = 150


def default_sim_origin(now: datetime) -> datetime:
    """Where an accelerated run starts: now, unless its deadlines would run past the provisional
    horizon (the year after the last published holiday schedule; beyond it no year is computed).
    Then 09:00 on the first Monday of March of the last published year."""
    from shared.clock import SHANGHAI
    from shared.runtime import calendar_from_settings
    from shared.settings import ServiceSettings

    calendar = calendar_from_settings(ServiceSettings())
    if (now + timedelta(days=SIM_SPAN_DAYS)).year <= calendar.horizon_year:
        return now
    last = calendar.last_covered_date()
    first_march = date(last.year, 3, 1)
    monday = first_march + timedelta(days=(7 - first_march.weekday()) % 7)
    return datetime.combine(monday, time_of_day(9, 0), tzinfo=SHANGHAI)


def clock_env(speed: float, origin: datetime | None = None) -> dict[str, str]:
    """The accelerated simulation clock every service shares (and `python -m demo` reads back)."""
    if speed == 1.0:
        CLOCK_FILE.unlink(missing_ok=True)
        return {}
    import json

    now = datetime.now(UTC)
    sim_origin = origin or default_sim_origin(now)
    env = {
        "EGOV_CLOCK_SPEED": str(speed),
        "EGOV_CLOCK_REAL_EPOCH": now.isoformat(),
        "EGOV_CLOCK_SIM_ORIGIN": sim_origin.isoformat(),
    }
    CLOCK_FILE.parent.mkdir(parents=True, exist_ok=True)
    CLOCK_FILE.write_text(json.dumps(env))
    return env


def start(
    *,
    durable: bool,
    kafka_port: int,
    mongo_port: int,
    speed: float = 1.0,
    origin: datetime | None = None,
) -> int:
    other = devstack.running_pid(STATE_DIR, PLATFORM)
    if other is not None:
        print(f"the platform is already running (pid {other}); use `make stop` first")
        return 1
    devstack.write_pid(STATE_DIR, PLATFORM, os.getpid())
    signal.signal(signal.SIGINT, _shutdown)
    signal.signal(signal.SIGTERM, _shutdown)
    stack: devstack.StackInfo | None = None
    code = 0
    try:
        idle = all(devstack.running_pid(STATE_DIR, n) is None for n in ("kafka", "mongo"))
        if not durable and idle:
            # Without DURABLE the broker starts empty, so yesterday's database would describe
            # cases whose events no longer exist (the monitor's tables live in the broker): start
            # both empty. `make run DURABLE=1` keeps the broker's data and the database together.
            shutil.rmtree(STATE_DIR / "mongo", ignore_errors=True)
            shutil.rmtree(STATE_DIR / "objects", ignore_errors=True)  # the materials it named
            print("fresh broker and database (DURABLE=1 keeps both)")
        stack = devstack.start_stack(
            STATE_DIR, kafka_port=kafka_port, mongo_port=mongo_port, durable=durable, objects=True
        )
        print(f"broker: {stack.broker_label}", flush=True)
        devstack.ensure_topics(stack.env())
        specs = _available(PROCESSES)
        clock = clock_env(speed, origin)
        _start_processes(specs, {**stack.env(), **clock})
        if clock:
            print(
                f"accelerated clock: {speed:g} simulated seconds per second, "
                f"simulated time starts at {clock['EGOV_CLOCK_SIM_ORIGIN']}"
            )
        _print_table(stack, specs)
        _watch(specs)
    except devstack.StackError as error:
        print(f"run_platform: {error}", file=sys.stderr)
        code = 1
    except Shutdown:
        print("\nstopping the platform ...", flush=True)
    finally:
        # Clean-up runs to the end: a second Ctrl-C or SIGTERM must not leave processes behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        devstack.stop_processes(STATE_DIR, [spec.name for spec in PROCESSES])
        if stack is not None and stack.started:
            devstack.stop_stack(STATE_DIR)
        elif stack is not None:
            print("the stack was running before; left running (`make stop` stops it too)")
        devstack.pid_path(STATE_DIR, PLATFORM).unlink(missing_ok=True)
        CLOCK_FILE.unlink(missing_ok=True)
    return code


def stop() -> int:
    pid = devstack.running_pid(STATE_DIR, PLATFORM)
    if pid is None:
        print("no platform running")
    else:
        print(f"stopping the platform (pid {pid}) ...", flush=True)
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + PLATFORM_STOP_TIMEOUT_S
        while devstack.is_running(pid) and time.monotonic() < deadline:
            time.sleep(0.2)
    # Safety net, e.g. after a platform killed with SIGKILL: stop anything with a pid file left.
    leftovers = [path.stem for path in (STATE_DIR / "run").glob("*.pid")]
    devstack.stop_processes(STATE_DIR, [name for name in leftovers if name not in STACK])
    devstack.stop_stack(STATE_DIR)
    return 0


def status() -> int:
    pid = devstack.running_pid(STATE_DIR, PLATFORM)
    print(f"platform  {f'running (pid {pid})' if pid else 'not running'}")
    for spec in PROCESSES:
        service_pid = devstack.running_pid(STATE_DIR, spec.name)
        state = f"running (pid {service_pid})  {spec.url}" if service_pid else "not running"
        print(f"  {spec.name:<10} {state}")
    print("stack:")
    devstack.main(["status", "--state-dir", str(STATE_DIR)])
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    start_parser = commands.add_parser("start", help="run the platform in the foreground")
    start_parser.add_argument("--durable", action="store_true", help="keep Kafka data on disk")
    start_parser.add_argument(
        "--kafka-port", type=int, default=int(os.environ.get("EGOV_DEV_KAFKA_PORT", "9092"))
    )
    start_parser.add_argument(
        "--mongo-port", type=int, default=int(os.environ.get("EGOV_DEV_MONGO_PORT", "27017"))
    )
    start_parser.add_argument(
        "--speed",
        type=float,
        default=float(os.environ.get("EGOV_DEV_CLOCK_SPEED", "1")),
        help="accelerated clock: simulated seconds per real second (demo: 3600 or more)",
    )
    start_parser.add_argument(
        "--origin",
        type=datetime.fromisoformat,
        default=None,
        help="simulated start instant (ISO 8601 with offset) for the accelerated clock; default "
        "now, or March of the last year with an official holiday schedule when now is too late",
    )
    commands.add_parser("stop", help="stop a platform started elsewhere, and any leftovers")
    commands.add_parser("status", help="show what runs")
    args = parser.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    if args.command == "start":
        return start(
            durable=args.durable,
            kafka_port=args.kafka_port,
            mongo_port=args.mongo_port,
            speed=args.speed,
            origin=args.origin,
        )
    return stop() if args.command == "stop" else status()


if __name__ == "__main__":
    sys.exit(main())
