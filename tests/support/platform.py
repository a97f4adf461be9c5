"""A whole platform on a private broker and database, every service a process on one
accelerated clock, with an HTTP client and readers of the bus: the harness of the integration
tests that follow cases across services (year boundary, supervision)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from demo.bus import BusRecord, read_all
from dev import devstack
from dev.apache_kafka import TlsFiles
from dev.devsms import make_server
from shared.clock import SimulatedClock
from shared.identifiers import make_resident_id
from shared.settings import ServiceSettings
from tests.support.processes import Platform, free_port
from tests.support.tokens import SignedInApplicant, officer_headers

DEPT = "500000-SCJ"
PERSON = make_resident_id("500103", date(1990, 5, 17), 12)
UPLOAD = {"form": "upload", "sha256": "a" * 64, "size": 2048}


class World:
    def __init__(
        self, platform: Platform, clock: SimulatedClock, bootstrap: str, speed: float
    ) -> None:
        self.speed = speed
        self.platform = platform
        self.clock = clock
        self.bootstrap = bootstrap
        self.settings = ServiceSettings(service_name="test")
        self.http = httpx.AsyncClient(timeout=30, auth=SignedInApplicant(self.settings))

    def url(self, service: str) -> str:
        return self.platform.url(service)

    def officer(self, role: str, n: int = 1, department: str = DEPT) -> dict[str, str]:
        return officer_headers(
            self.settings,
            subject=f"{department}-{role}-{n:02d}",
            roles=[role],
            department=department,
            region=department[:6],
        )

    def system(self) -> dict[str, str]:
        return officer_headers(self.settings, subject="it", roles=["system"])

    async def until(self, moment: datetime) -> None:
        """Wait (real time) until the platform's clock reaches ``moment``."""
        while (left := (moment - self.clock.now()).total_seconds()) > 0:
            await asyncio.sleep(min(left / self.speed + 0.05, 1.0))

    async def eventually(self, probe: Any, *, within_s: float = 30.0) -> Any:
        deadline = asyncio.get_running_loop().time() + within_s
        while True:
            found = await probe()
            if found or asyncio.get_running_loop().time() > deadline:
                return found
            await asyncio.sleep(0.3)

    async def bus(self, *topics: str) -> list[BusRecord]:
        return await read_all(self.bootstrap, list(topics), idle_s=1.0, limit_s=60)

    async def events(self, topic: str, suffix: str) -> list[dict[str, Any]]:
        return [
            {**r.envelope.data, "_id": r.envelope.id, "_source": r.envelope.source}
            for r in await self.bus(topic)
            if r.envelope is not None and r.envelope.type.endswith(suffix)
        ]

    async def submit(
        self,
        item_code: str = "500000-SCJ-001",
        materials: tuple[str, ...] = ("id_card", "application_form", "articles", "premises"),
    ) -> tuple[str, str]:
        body = {
            "item_code": item_code,
            "applicant": {"kind": "person", "id_number": PERSON, "name": "张三"},
            "contact": {"phone": "13800138000", "email": "zhang@example.cn"},
            "form": {"company_name": "山城小面有限公司"},
            "materials": [{"code": c, **UPLOAD} for c in materials],
            "channel": "web",
            "receiving_region": "500000",
        }
        r = await self.http.post(f"{self.url('intake')}/v1/cases", json=body)
        assert r.status_code == 201, r.text
        return r.json()["case_id"], r.json()["verification_code"]

    async def task(self, case_id: str, stage: str, department: str = DEPT) -> dict[str, Any] | None:
        async def find() -> dict[str, Any] | None:
            r = await self.http.get(
                f"{self.url('approval')}/v1/tasks",
                params={"department": department, "stage": stage, "limit": 200},
                headers=self.officer("supervisor", department=department),
            )
            assert r.status_code == 200, r.text
            return next((t for t in r.json()["items"] if t["case_id"] == case_id), None)

        return await self.eventually(find)

    async def act(
        self,
        case_id: str,
        stage: str,
        action: str,
        role: str,
        *,
        sign_in: bool = True,
        department: str = DEPT,
        **body: Any,
    ) -> dict[str, Any]:
        """Sign the task in (unless already) and act on it as an officer of ``role``."""
        # a parallel stage's work-list row for a department is that department's sub-task
        task = await self.task(case_id, stage.split(":")[0], department)
        assert task is not None, f"{stage} of {case_id} never reached the work list"
        headers = self.officer(role, department=department)
        url = f"{self.url('approval')}/v1/cases/{case_id}/stages/{task['stage_id']}"
        version = task["case_version"]
        if sign_in:
            r = await self.http.post(f"{url}/sign-in", json={"version": version}, headers=headers)
            assert r.status_code < 300, r.text
            version = r.json()["version"]
        r = await self.http.post(
            f"{url}/{action}", json={"version": version, **body}, headers=headers
        )
        assert r.status_code < 300, r.text
        result: dict[str, Any] = r.json()
        return result


@contextmanager
def private_stack(state: Path, *, tls: TlsFiles | None = None) -> Iterator[dict[str, str]]:
    """A broker and database of the caller's own: what one test publishes reaches no other.
    Yields the stack's settings (the harness's; the services' identities derive from them).
    With `tls` the broker also has a SASL_SSL listener with that certificate."""
    stack = devstack.start_stack(
        state, kafka_port=0, mongo_port=0, memory_db=True, tls=tls, objects=True
    )
    try:
        devstack.ensure_topics(stack.env())
        yield stack.env()
    finally:
        devstack.stop_stack(state)


@contextmanager
def running_platform(
    stack_env: dict[str, str],
    base: Path,
    *,
    origin: datetime,
    speed: float,
    startup_s: float,
    env: dict[str, str] | None = None,
    identities: dict[str, dict[str, str]] | None = None,
) -> Iterator[World]:
    """Every service as a process (each as its own Kafka principal where the broker has them;
    ``identities`` replaces those settings) on one simulated clock that reaches ``origin``
    ``startup_s`` after launch, with a local SMTP server and the SMS stand-in."""
    bootstrap, mongo = stack_env["EGOV_KAFKA_BOOTSTRAP"], stack_env["EGOV_MONGO_URI"]
    epoch = datetime.now(UTC) + timedelta(seconds=startup_s)
    clock = SimulatedClock(real_epoch=epoch, sim_origin=origin, speed=speed)
    with message_sinks(base) as sinks:
        platform = Platform(
            bootstrap,
            mongo,
            base / "logs",
            db_prefix="it",
            identities=devstack.service_identities(stack_env) if identities is None else identities,
            extra_env={
                "EGOV_CLOCK_SPEED": str(speed),
                "EGOV_CLOCK_REAL_EPOCH": epoch.isoformat(),
                "EGOV_CLOCK_SIM_ORIGIN": origin.isoformat(),
                **sinks,
                "EGOV_LOG_LEVEL": "WARNING",
                # the stack's own object store (decision and licence PDFs, the archive)
                **{k: v for k, v in stack_env.items() if k == "EGOV_OBJECT_STORE_URL"},
                **(env or {}),
            },
        )
        try:
            platform.start()
            yield World(platform, clock, bootstrap, speed)
        finally:
            platform.stop()
            print(f"\nplatform logs: {base / 'logs'}")


@contextmanager
def message_sinks(base: Path) -> Iterator[dict[str, str]]:
    """The local SMTP server (mail kept under ``base/mail``) and the SMS stand-in (messages in
    ``base/sms.jsonl``) for the length of the block; yields the settings that point notify there."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Mailbox

    smtp_port, sms_port = free_port(), free_port()
    mail = Controller(Mailbox(str(base / "mail")), hostname="127.0.0.1", port=smtp_port)
    mail.start()
    sms = make_server("127.0.0.1", sms_port, base / "sms.jsonl")
    threading.Thread(target=sms.serve_forever, daemon=True).start()
    try:
        yield {
            "EGOV_SMTP_PORT": str(smtp_port),
            "EGOV_SMS_GATEWAY_URL": f"http://127.0.0.1:{sms_port}/sms",
        }
    finally:
        sms.shutdown()
        mail.stop()


def platform_fixtures(
    name: str, *, origin: datetime, speed: float, startup_s: float, env: dict[str, str]
) -> tuple[Any, Any]:
    """A module's ``stack`` (private broker and database, a sync fixture: the stack's
    readiness check runs its own event loop) and ``world`` (the platform on them)."""
    import pytest

    @pytest.fixture(scope="module")
    def stack(
        kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
    ) -> Iterator[dict[str, str]]:
        """``kafka_bootstrap`` only says a stack may run; the module brings its own."""
        with private_stack(tmp_path_factory.mktemp(f"{name}-stack")) as stack_env:
            yield stack_env

    @pytest.fixture(scope="module")
    async def world(
        stack: dict[str, str], tmp_path_factory: pytest.TempPathFactory
    ) -> AsyncIterator[World]:
        with running_platform(
            stack,
            tmp_path_factory.mktemp(name),
            origin=origin,
            speed=speed,
            startup_s=startup_s,
            env=env,
        ) as w:
            yield w
            await w.http.aclose()

    return stack, world
