"""Run the platform with a real Prometheus and drive traffic through it, to check the dashboards
against live data (tests/ops/test_live_platform.py; usable by hand as well).

    python -m tests.support.ops_live        # needs EGOV_KAFKA_BOOTSTRAP / EGOV_MONGO_URI (a dev stack)

It starts the five services as processes on free ports (their own databases, consumer groups
and faust app id, an accelerated shared clock so that stages go overdue and escalate within
a minute or two), a Prometheus scraping them every second with the platform's alert rules,
submits cases through intake, acts on one as an officer, rates it as the applicant, leaves
another to go overdue, and sends a malformed message to get a dead letter.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from dev import devstack
from shared.calendar import load_default_calendar

REPO_ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("intake", "approval", "monitor", "notify", "credit")
RULES = REPO_ROOT / "deploy" / "prometheus" / "rules" / "egov-alerts.yml"
EXAMPLE = REPO_ROOT / "services" / "intake" / "examples" / "submission.json"
# 1 real second = 4 simulated hours: a 2-working-day pre-review submitted on Monday or Tuesday
# goes red about 20 s after the launch and reaches rung 4 (three more working days, over a
# weekend) about 45 s later.
CLOCK_SPEED = 14400.0
FIRST_MONDAY = date(2025, 1, 6)  # simulated time starts on a random Monday 09:00 from here
WEEKS = 90  # ... up to late September 2026, well inside the packaged calendar


def random_sim_origin() -> str:
    """Case numbers carry the simulated date and restart with each run's fresh database: a
    random start week keeps runs sharing one broker from reusing each other's case numbers.
    Only a plain fortnight (Monday to the next Friday worked, weekends off): a holiday in it
    postponed the late case's deadline by up to 8 days (about 100 s of the test's time)."""
    calendar = load_default_calendar()
    plain = [
        monday
        for monday in (FIRST_MONDAY + timedelta(weeks=w) for w in range(WEEKS))
        if all(
            calendar.is_working_day(monday + timedelta(days=d)) == (d % 7 < 5) for d in range(12)
        )
    ]
    return f"{random.choice(plain).isoformat()}T09:00:00+08:00"


DEPARTMENT = "500000-SCJ"
REGION = "500000"


@dataclass
class LivePlatform:
    ports: dict[str, int]
    prometheus_port: int
    env: dict[str, str]
    work_dir: Path
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    @property
    def prometheus_url(self) -> str:
        return f"http://127.0.0.1:{self.prometheus_port}"

    def metrics_urls(self) -> list[str]:
        return [f"{self.url(s)}/metrics" for s in SERVICES]

    def log_tail(self, name: str, lines: int = 40) -> str:
        path = self.work_dir / f"{name}.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def prometheus_config(
    targets: Mapping[str, str], rules: Path = RULES, interval: str = "1s"
) -> dict[str, Any]:
    """A Prometheus config scraping job egov-<service> at each host:port, with the alert rules."""
    return {
        "global": {"scrape_interval": interval, "evaluation_interval": interval},
        "rule_files": [str(rules)],
        "scrape_configs": [
            {"job_name": f"egov-{name}", "static_configs": [{"targets": [target]}]}
            for name, target in targets.items()
        ],
    }


def prometheus_argv(prometheus: str, config: Path, data_dir: Path, port: int) -> list[str]:
    return [
        prometheus,
        f"--config.file={config}",
        f"--storage.tsdb.path={data_dir}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--storage.tsdb.retention.time=1d",
        "--log.level=warn",
    ]


def _wait(
    what: str, check: Callable[[], bool], timeout_s: float, describe: Callable[[], str]
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    raise TimeoutError(f"{what} not ready within {timeout_s:.0f} s\n{describe()}")


def start(
    stack_env: Mapping[str, str], work_dir: Path, prometheus: str, *, ready_timeout_s: float = 120
) -> LivePlatform:
    """Start the services and Prometheus; returns once every service answers /readyz."""
    work_dir.mkdir(parents=True, exist_ok=True)
    run = uuid.uuid4().hex[:8]
    real_epoch = datetime.now(UTC).isoformat()
    common = {
        **os.environ,
        **stack_env,
        "PYTHONUNBUFFERED": "1",
        "PYTHONPATH": os.pathsep.join(
            p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH")) if p
        ),
        "EGOV_CLOCK_SPEED": str(CLOCK_SPEED),
        "EGOV_CLOCK_REAL_EPOCH": real_epoch,
        "EGOV_CLOCK_SIM_ORIGIN": random_sim_origin(),
        "EGOV_LOG_LEVEL": os.environ.get("EGOV_OPS_LIVE_LOG_LEVEL", "WARNING"),
    }
    ports = {name: devstack.free_port() for name in SERVICES}
    platform = LivePlatform(ports, devstack.free_port(), common, work_dir)
    for name in SERVICES:
        env = {
            **common,
            "EGOV_HTTP_PORT": str(ports[name]),
            "EGOV_MONGO_DB": f"ops_{name}_{run}",
            "EGOV_CONSUMER_GROUP": f"ops-{name}-{run}",
            "EGOV_MONITOR_APP_ID": f"ops-monitor-{run}",
            "EGOV_CREDIT_URL": f"http://127.0.0.1:{ports['credit']}",
            "EGOV_SMTP_PORT": str(devstack.free_port()),  # nothing listens: deliveries retry
            "EGOV_SMS_GATEWAY_URL": f"http://127.0.0.1:{devstack.free_port()}/sms",
        }
        log = open(work_dir / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        platform.processes[name] = subprocess.Popen(
            [sys.executable, "-m", f"services.{name}"],
            cwd=work_dir,  # faust writes its data directory into the working directory
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    config = work_dir / "prometheus.yml"
    targets = {name: f"127.0.0.1:{port}" for name, port in ports.items()}
    config.write_text(yaml.safe_dump(prometheus_config(targets)), encoding="utf-8")
    prom_log = open(work_dir / "prometheus.log", "wb")  # noqa: SIM115
    platform.processes["prometheus"] = subprocess.Popen(
        prometheus_argv(prometheus, config, work_dir / "tsdb", platform.prometheus_port),
        stdout=prom_log,
        stderr=subprocess.STDOUT,
    )
    try:
        for name in SERVICES:
            _wait(
                name,
                lambda n=name: _alive(platform, n) and _http_ok(f"{platform.url(n)}/readyz"),
                ready_timeout_s,
                lambda n=name: platform.log_tail(n),
            )
        _wait(
            "prometheus",
            lambda: _http_ok(f"{platform.prometheus_url}/-/ready"),
            60,
            lambda: platform.log_tail("prometheus"),
        )
    except BaseException:
        stop(platform)
        raise
    return platform


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (local)
            return 200 <= int(response.status) < 300
    except (OSError, urllib.error.URLError):
        return False


def _alive(platform: LivePlatform, name: str) -> bool:
    process = platform.processes[name]
    if process.poll() is not None:
        raise RuntimeError(f"{name} exited with {process.returncode}\n{platform.log_tail(name)}")
    return True


def stop(platform: LivePlatform, grace_s: float = 20) -> None:
    for process in platform.processes.values():
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    for process in platform.processes.values():
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# ------------------------------------------------------------------ traffic


def _request(
    method: str, url: str, body: Any = None, headers: Mapping[str, str] | None = None
) -> tuple[int, Any, Mapping[str, str]]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("content-type", "application/json")
    for key, value in (headers or {}).items():
        request.add_header(key, value)
    try:
        with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310 (local)
            raw = response.read()
            return response.status, json.loads(raw or b"null"), dict(response.headers)
    except urllib.error.HTTPError as error:
        raw = error.read()
        try:
            payload = json.loads(raw or b"null")
        except ValueError:
            payload = raw.decode(errors="replace")
        return error.code, payload, dict(error.headers)


def submission_body(external_id: str) -> dict[str, Any]:
    """The HTTP body of the documented example submission (services/intake/examples)."""
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))["data"]
    body = {
        k: v for k, v in data.items() if k not in ("external_id", "source_system", "submitted_at")
    }
    body.setdefault("channel", "web")
    body.setdefault("receiving_region", REGION)
    return body


def officer_token(env: Mapping[str, str], subject: str = "ops-officer-1") -> str:
    from shared.auth import mint_token
    from shared.settings import ServiceSettings

    settings = ServiceSettings(service_name="ops", **_jwt_overrides(env))
    return mint_token(
        settings,
        subject=subject,
        now=datetime.now(UTC),
        roles=["handler"],
        name="ops test officer",
        department=DEPARTMENT,
        region=REGION,
        ttl=timedelta(hours=1),
    )


def applicant_headers(env: Mapping[str, str], body: Mapping[str, Any]) -> dict[str, str]:
    """The applicant's real-name token for a submission body."""
    from shared.auth import submission_token
    from shared.settings import ServiceSettings

    settings = ServiceSettings(service_name="ops", **_jwt_overrides(env))
    token = submission_token(settings, dict(body), now=datetime.now(UTC), ttl=timedelta(hours=1))
    return {"authorization": f"Bearer {token}"}


def _jwt_overrides(env: Mapping[str, str]) -> dict[str, Any]:
    keys = {"EGOV_JWT_SECRET": "jwt_secret", "EGOV_JWT_ISSUER": "jwt_issuer"}
    return {field: env[key] for key, field in keys.items() if key in env}


def _poll(what: str, fetch: Callable[[], Any], timeout_s: float = 60) -> Any:
    deadline = time.monotonic() + timeout_s
    last: Any = None
    while time.monotonic() < deadline:
        last = fetch()
        if last:
            return last
        time.sleep(0.5)
    raise TimeoutError(f"{what}: nothing within {timeout_s:.0f} s (last: {last!r})")


def drive_traffic(platform: LivePlatform) -> dict[str, Any]:
    """Two cases: one closed on time, decided and rated; one left to go overdue and escalate.
    Plus unknown routes (404) and a malformed message for the dead-letter path."""
    intake, approval = platform.url("intake"), platform.url("approval")
    done: dict[str, Any] = {}
    body = submission_body("ops-a")
    signed_in = applicant_headers(platform.env, body)
    status, rated, _ = _request("POST", f"{intake}/v1/cases", body, signed_in)
    assert status == 201, (status, rated)
    status, late, _ = _request("POST", f"{intake}/v1/cases", submission_body("ops-b"), signed_in)
    assert status == 201, (status, late)
    done["cases"] = [rated["case_id"], late["case_id"]]

    auth = {"authorization": f"Bearer {officer_token(platform.env)}"}
    case_id = rated["case_id"]

    def approval_case() -> Any:
        code, body, headers = _request("GET", f"{approval}/v1/cases/{case_id}", headers=auth)
        return (body, headers) if code == 200 else None

    body, headers = _poll("approval registers the case", approval_case, timeout_s=120)
    for action, payload in (("sign-in", {}), ("fail", {"reasons": ["材料不齐全"]})):
        version = headers.get("etag") or headers.get("ETag") or f'"{body.get("version", 0)}"'
        code, body, headers = _request(
            "POST",
            f"{approval}/v1/cases/{case_id}/stages/prereview/{action}",
            payload,
            {**auth, "if-match": version},
        )
        assert code == 200, (action, code, body)
    done["decided"] = case_id

    code_q = f"?code={rated['verification_code']}"

    seen: list[Any] = []

    def decided() -> bool:
        code, body, _ = _request("GET", f"{intake}/v1/cases/{case_id}{code_q}")
        seen[:] = [code, body]
        return code == 200 and isinstance(body, dict) and body.get("status") == "decided"

    try:
        _poll("intake learns the decision", decided, timeout_s=120)
    except TimeoutError as error:
        raise TimeoutError(f"{error}; intake answers {seen}") from None
    status, body, _ = _request(
        "POST", f"{intake}/v1/cases/{case_id}/rating{code_q}", {"level": "satisfied"}
    )
    assert status == 201, (status, body)
    done["rated"] = case_id

    # The late case: once the monitor marked it overdue, sign it in (a late sign-in finding).
    def overdue() -> bool:
        query = urllib.parse.urlencode({"query": "sum(egov_monitor_overdue_total) > 0"})
        code, body, _ = _request("GET", f"{platform.prometheus_url}/api/v1/query?{query}")
        return code == 200 and bool(body["data"]["result"])

    _poll("the monitor marks the late case overdue", overdue, timeout_s=180)
    late_id = late["case_id"]
    _, body, headers = _request("GET", f"{approval}/v1/cases/{late_id}", headers=auth)
    version = headers.get("etag") or headers.get("ETag") or f'"{body.get("version", 0)}"'
    code, body, _ = _request(
        "POST",
        f"{approval}/v1/cases/{late_id}/stages/prereview/sign-in",
        {},
        {**auth, "if-match": version},
    )
    assert code == 200, ("late sign-in", code, body)
    done["signed_in_late"] = late_id

    for service in SERVICES:  # unmatched routes: 404s in the HTTP metrics
        _request("GET", f"{platform.url(service)}/v1/ops-probe-{uuid.uuid4().hex[:6]}")
    _send_malformed(platform.env)
    return done


def _send_malformed(env: Mapping[str, str]) -> None:
    import asyncio

    from aiokafka import AIOKafkaProducer

    async def send() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=env["EGOV_KAFKA_BOOTSTRAP"], acks="all")
        await producer.start()
        try:
            await producer.send_and_wait("egov.cases", b"\x00 not json", key=b"ops-malformed")
        finally:
            await producer.stop()

    asyncio.run(send())


def main() -> int:
    from tests.support import verify_ops

    stack_env = {k: v for k, v in os.environ.items() if k.startswith("EGOV_")}
    work_dir = REPO_ROOT / ".dev" / f"ops-live-{os.getpid()}"
    platform = start(stack_env, work_dir, verify_ops.find_prometheus())
    try:
        print(json.dumps(drive_traffic(platform)))
        print(f"prometheus: {platform.prometheus_url}")
        time.sleep(120)
        print(
            "missing metrics:",
            verify_ops.missing_metrics(verify_ops.exposed_metric_names(platform.metrics_urls())),
        )
        print("empty panels:", verify_ops.empty_panels(platform.prometheus_url))
    finally:
        stop(platform)
    return 0


if __name__ == "__main__":
    sys.exit(main())
