"""Run the five services as separate processes (end-to-end suite, chaos run): free ports,
one log file each, health waits, SIGKILL and restart of a single service."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from dev.devstack import free_port

SERVICES = ("intake", "approval", "monitor", "notify", "credit")


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:  # noqa: S310 - loopback only
            return bool(resp.status == 200)
    except OSError:
        return False


@dataclass
class ServiceProcess:
    name: str
    port: int
    env: dict[str, str]
    log_path: Path
    proc: subprocess.Popen[bytes] | None = None
    restarts: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", f"services.{self.name}"],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()

    def wait_healthy(self, within_s: float = 90.0) -> None:
        deadline = time.monotonic() + within_s
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.proc.returncode}:\n{self.tail()}"
                )
            if http_ok(self.url + "/readyz"):
                return
            time.sleep(0.3)
        raise RuntimeError(f"{self.name} not ready within {within_s}s:\n{self.tail()}")

    def kill(self) -> None:
        """SIGKILL: no graceful shutdown, as in a crash."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self, within_s: float = 20.0) -> None:
        self.terminate()
        self.wait_stopped(within_s)

    def terminate(self) -> None:
        """SIGTERM: a graceful shutdown (drain HTTP, finish handlers, commit), not waited for."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)

    def wait_stopped(self, within_s: float = 20.0) -> None:
        """Wait for the process to end; SIGKILL if it has not within `within_s`."""
        if self.proc is None:
            return
        try:
            self.proc.wait(within_s)
        except subprocess.TimeoutExpired:
            self.kill()

    def restart(self, *, crash: bool = True) -> None:
        self.kill() if crash else self.stop()
        self.restarts += 1
        self.start()

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


@dataclass
class Platform:
    kafka_bootstrap: str
    mongo_uri: str
    log_dir: Path
    db_prefix: str = "egov"
    extra_env: dict[str, str] = field(default_factory=dict)
    # Per service, settings that override the shared ones: its own Kafka principal where the
    # broker has identities (dev/kafka_security.py); empty otherwise.
    identities: dict[str, dict[str, str]] = field(default_factory=dict)
    services: dict[str, ServiceProcess] = field(default_factory=dict)
    # Start only these services (default: all five), e.g. while some are still being built.
    only: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        ports = {name: free_port() for name in SERVICES}
        urls = {f"EGOV_{n.upper()}_URL": f"http://127.0.0.1:{p}" for n, p in ports.items()}
        for name in self.only or SERVICES:
            env = {
                **os.environ,
                **urls,
                "EGOV_KAFKA_BOOTSTRAP": self.kafka_bootstrap,
                "EGOV_MONGO_URI": self.mongo_uri,
                "EGOV_MONGO_DB": f"{self.db_prefix}_{name}",
                "EGOV_SERVICE_NAME": name,
                "EGOV_HTTP_PORT": str(ports[name]),
                "PYTHONUNBUFFERED": "1",
                **self.extra_env,
                **self.identities.get(name, {}),
            }
            self.services[name] = ServiceProcess(
                name, ports[name], env, self.log_dir / f"{name}.log"
            )

    def url(self, name: str) -> str:
        return self.services[name].url

    def start(self) -> None:
        for svc in self.services.values():
            svc.start()
        for svc in self.services.values():
            svc.wait_healthy()

    def stop(self) -> None:
        """All at once: the slowest shutdown (the monitor's) sets the time, not their sum."""
        for svc in self.services.values():
            svc.terminate()
        for svc in self.services.values():
            svc.wait_stopped()
