"""The monitor on the real broker: two faust workers as subprocesses on an accelerated clock.

One module-scoped pair of workers serves every scenario (a faust group join takes seconds):
yellow, red and the whole ladder; closing stops it; suspension pauses it; the two workers split
the partitions and fire each stage's timers exactly once; SIGKILL of one worker mid-ladder and a
restart lose nothing and add no new ids; a bad message is dead-lettered and the worker carries on;
a stage opened on egov.cases (not its topic) is dead-lettered and starts no clock.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner

from services.monitor.settings import MonitorSettings
from shared.calendar import Limit
from shared.clock import SHANGHAI, SimulatedClock
from shared.contracts import (
    DEAD_LETTER_TOPIC,
    T_CASES,
    T_CREDIT_INCIDENTS,
    T_STAGES,
    T_SUPERVISION,
    EventData,
    StageOpened,
    StageResumed,
    StageSuspended,
    derived_event_id,
    kafka_headers,
    make_envelope,
)
from shared.kafka.metadata import topic_partitions
from tests.support.events import stage_closed, stage_opened
from tests.support.tokens import lasting_token

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
SPEED = 1000.0  # simulated seconds per real second
# Monday 2026-03-02 00:00 in Shanghai: the whole run stays within working days.
SIM_ORIGIN = datetime(2026, 3, 2, 0, 0, tzinfo=SHANGHAI)
LADDER = [
    {"after_working_days": 0, "recipients": ["handler"]},
    {"after_working_days": 0.1, "recipients": ["section_chief"], "card": "yellow"},
    {"after_working_days": 0.2, "recipients": ["department_head"], "card": "red"},
    {
        "after_working_days": 0.3,
        "recipients": ["inspection_office"],
        "card": "red",
        "credit_incident": True,
    },
]
DUE_AFTER = timedelta(hours=2)  # sim; rung 4 comes 0.3 working days later (~33 s real in all)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def partition_of(case_id: str) -> int:
    return int(DefaultPartitioner()(case_id.encode(), list(range(6)), list(range(6))))


@dataclass
class Worker:
    name: str
    port: int
    env: dict[str, str]
    log: Path
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        out = self.log.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "services.monitor"],
            cwd=ROOT,
            env=self.env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    async def status(self) -> dict[str, Any] | None:
        try:
            async with httpx.AsyncClient(timeout=3) as client:
                r = await client.get(f"http://127.0.0.1:{self.port}/v1/worker")
                return r.json() if r.status_code == 200 else None
        except httpx.HTTPError:
            return None

    async def get(self, path: str) -> httpx.Response:
        settings = MonitorSettings()
        token = lasting_token(settings, subject="it", roles=["supervisor"])
        headers = {"authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(timeout=5, headers=headers) as client:
            return await client.get(f"http://127.0.0.1:{self.port}{path}")


@dataclass
class Stack:
    workers: list[Worker]
    clock: SimulatedClock
    producer: AIOKafkaProducer
    seen: list[dict[str, Any]] = field(default_factory=list)
    prefix: str = ""

    def now(self) -> datetime:
        return self.clock.now()

    async def send(self, data: EventData) -> None:
        env = make_envelope(data, source="/egov/approval", time=self.now())
        await self.producer.send_and_wait(
            T_STAGES,
            env.to_json_bytes(),
            key=env.subject.encode(),
            headers=kafka_headers(),
        )

    def ids_for(self, case_id: str) -> list[str]:
        return [
            m["id"] for m in self.seen if m.get("subject") == case_id or m.get("case") == case_id
        ]

    def of(self, case_id: str, kind: str) -> list[dict[str, Any]]:
        return [
            m for m in self.seen if m.get("case") == case_id and m["type"].split(".")[-2] == kind
        ]

    async def until(self, what: str, cond: Callable[[], bool], timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not cond():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            await asyncio.sleep(0.2)

    async def assignment(self) -> list[list[int]]:
        return [((await w.status()) or {}).get("partitions", []) for w in self.workers]


def _warnings(log: Path, last: int = 15) -> list[str]:
    """A worker's last warnings and errors, for a failure's message."""
    lines = log.read_text(errors="replace").splitlines()
    return [ln[:300] for ln in lines if " WARNING " in ln or " ERROR " in ln][-last:]


async def _collect(bootstrap: str, seen: list[dict[str, Any]], prefix: str) -> None:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = [
            tp
            for t in (T_SUPERVISION, T_CREDIT_INCIDENTS, DEAD_LETTER_TOPIC)
            for tp in await topic_partitions(consumer, t)
        ]
        consumer.assign(tps)
        await consumer.seek_to_end(*tps)
        while True:
            batch = await consumer.getmany(timeout_ms=200)
            for tp, messages in batch.items():
                for msg in messages:
                    try:
                        _keep(tp.topic, msg, seen, prefix)
                    except (ValueError, KeyError, TypeError, AttributeError):
                        continue  # not ours
    finally:
        await consumer.stop()


def _keep(topic: str, msg: Any, seen: list[dict[str, Any]], prefix: str) -> None:
    if topic == DEAD_LETTER_TOPIC:
        if msg.key and msg.key.decode().startswith(prefix):
            headers = {k: v.decode() for k, v in msg.headers}
            seen.append({"type": "dlq.x.v1", "id": "", "case": msg.key.decode(), **headers})
        return
    body = json.loads(msg.value)
    case = body["data"].get("case_id")
    if case and case.startswith(prefix):
        seen.append({"type": body["type"], "id": body["id"], "case": case, "data": body["data"]})


@pytest.fixture(scope="module")
async def stack(
    kafka_bootstrap: str, mongo_uri: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Stack]:
    run = uuid.uuid4().hex[:8]
    epoch = datetime.now(UTC)
    clock = SimulatedClock(real_epoch=epoch, sim_origin=SIM_ORIGIN, speed=SPEED)
    logs = tmp_path_factory.mktemp("monitor")
    base = {
        **os.environ,
        "EGOV_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "EGOV_MONGO_URI": mongo_uri,
        "EGOV_MONGO_DB": f"egov_monitor_it_{run}",
        "EGOV_MONITOR_BOARD_REFRESH_S": "1",
        "EGOV_MONITOR_APP_ID": f"egov-monitor-it-{run}",
        "EGOV_MONITOR_OFFSET_RESET": "latest",
        "EGOV_CLOCK_SPEED": str(SPEED),
        "EGOV_CLOCK_REAL_EPOCH": epoch.isoformat(),
        "EGOV_CLOCK_SIM_ORIGIN": SIM_ORIGIN.isoformat(),
        "EGOV_WARNING_MARGIN_WORKING_DAYS": "0.02",  # ~29 sim minutes
        # the stages' due times are hours after opening, far inside their 1-day limit: the
        # share of the limit (20 % = 4.8 h) would make them yellow at once
        "EGOV_WARNING_MARGIN_FRACTION": "0",
        "EGOV_LADDER_DEFAULT": json.dumps(LADDER),
        "EGOV_MONITOR_TIMER_MAX_SLEEP_S": "0.2",
        "EGOV_LOG_JSON": "false",
    }
    workers = []
    for name in ("w1", "w2"):
        port = _free_port()
        env = {
            **base,
            "EGOV_HTTP_PORT": str(port),
            "EGOV_MONITOR_WORKER_ID": name,
            # its own RocksDB state, which the restart after the SIGKILL below reads again
            "EGOV_MONITOR_DATA_DIR": str(logs / f"{name}-data"),
        }
        workers.append(Worker(name, port, env, logs / f"{name}.log"))
    for w in workers:
        w.start()
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    seen: list[dict[str, Any]] = []
    prefix = f"MON{run}"
    collector = asyncio.create_task(_collect(kafka_bootstrap, seen, prefix))
    s = Stack(workers=workers, clock=clock, producer=producer, seen=seen, prefix=prefix)
    try:

        async def split() -> bool:
            parts = await s.assignment()
            return all(parts) and sorted(p for ps in parts for p in ps) == list(range(6))

        deadline = time.monotonic() + 120
        while not await split():
            assert time.monotonic() < deadline, (
                f"workers never split the partitions; logs in {logs}"
            )
            assert all(w.proc and w.proc.poll() is None for w in workers), (
                f"a worker died; see {logs}"
            )
            await asyncio.sleep(0.5)
        yield s
    finally:
        collector.cancel()
        await asyncio.gather(collector, return_exceptions=True)
        await producer.stop()
        for w in workers:
            w.stop()


def _opened(case_id: str, now: datetime, due: datetime, stage_id: str | None = None) -> StageOpened:
    return stage_opened(
        case_id,
        stage_id=stage_id or f"{case_id}-review",
        name="review",
        item_code="IT-ITEM",
        department="IT-DEPT",
        assignee="officer-1",
        opened_at=now,
        due_at=due,
        limit=Limit(value=1),
    )


def _expected_ids(stage_id: str) -> set[str]:
    ids = {derived_event_id(stage_id, "yellow"), derived_event_id(stage_id, "red")}
    ids |= {derived_event_id(stage_id, "rung", str(n)) for n in range(1, 5)}
    ids.add(derived_event_id(stage_id, "rung", "4", "credit"))
    return ids


async def test_lights_ladder_close_suspend_two_workers_and_sigkill(stack: Stack) -> None:
    s = stack
    w1_parts = set((await s.workers[0].status() or {})["partitions"])
    assert w1_parts and len(w1_parts) < 6  # both workers own partitions

    def case_on(partitions: set[int], tag: str) -> str:
        while True:
            cid = f"{s.prefix}-{tag}-{uuid.uuid4().hex[:6]}"
            if partition_of(cid) in partitions:
                return cid

    ladder_cases = [case_on({p}, f"L{p}") for p in range(6)]  # one on every partition
    closed_case = case_on(set(range(6)), "C")
    paused_case = case_on(set(range(6)), "S")
    now = s.now()
    due = now + DUE_AFTER
    for cid in [*ladder_cases, closed_case, paused_case]:
        await s.send(_opened(cid, now, due))
    await s.send(
        StageSuspended(
            case_id=paused_case,
            stage_id=f"{paused_case}-review",
            reason="expert_review",
            suspended_at=now + timedelta(minutes=1),
        )
    )
    await s.producer.send_and_wait(T_STAGES, b"{not json", key=f"{s.prefix}-bad".encode())

    # Green, then yellow (the warning margin), then red with rung 1 of the ladder.
    await s.until("yellow everywhere", lambda: all(s.of(c, "warned") for c in ladder_cases))
    warned = s.of(ladder_cases[0], "warned")[0]
    assert warned["id"] == derived_event_id(f"{ladder_cases[0]}-review", "yellow")
    assert datetime.fromisoformat(warned["data"]["at"]) > now  # it was green first
    await s.until("rung 1 on the closing case", lambda: bool(s.of(closed_case, "escalated")))
    closed_at = s.now()
    await s.send(
        stage_closed(
            closed_case,
            stage_id=f"{closed_case}-review",
            outcome="approved",
            department="IT-DEPT",
            closed_at=closed_at,
        )
    )
    bad = [m for m in s.seen if m["type"] == "dlq.x.v1"]
    assert bad and bad[0]["dlq.reason"] == "not_json"

    # Two workers, each stage's timers fire once: every ladder case reaches rung 2 exactly once.
    def rung(c: str, n: int) -> bool:
        return any(m["data"]["rung"] == n for m in s.of(c, "escalated"))

    await s.until("rung 2 everywhere", lambda: all(rung(c, 2) for c in ladder_cases))
    before_kill = Counter(m["id"] for m in s.seen if m["case"] in ladder_cases)
    assert before_kill and max(before_kill.values()) == 1, "a firing was published twice"
    assert not s.of(paused_case, "overdue"), "a suspended stage went red"

    # SIGKILL the worker that owns some ladder cases mid-ladder, then restart it.
    s.workers[0].kill()
    s.workers[0].start()
    res_at = s.now()
    await s.send(
        StageResumed(
            case_id=paused_case,
            stage_id=f"{paused_case}-review",
            resumed_at=res_at,
            due_at=res_at + timedelta(minutes=40),
        )
    )

    def finished() -> bool:
        return all(_expected_ids(f"{c}-review") <= set(s.ids_for(c)) for c in ladder_cases)

    try:
        await s.until("every ladder finished after the restart", finished, timeout=120)
    except AssertionError:
        got = {
            c: sorted(
                m["type"].split(".")[-2] + str(m.get("data", {}).get("rung", ""))
                for m in s.seen
                if m["case"] == c
            )
            for c in ladder_cases
        }
        views = [(await w.get(f"/v1/stages/{c}")).text for w in s.workers for c in ladder_cases]
        raise AssertionError(f"ladders incomplete: {got}; views {views}") from None
    await s.until("the resumed stage went red", lambda: bool(s.of(paused_case, "overdue")), 60)
    for c in ladder_cases:
        assert set(s.ids_for(c)) == _expected_ids(f"{c}-review"), "an unexpected event id appeared"
        incident = s.of(c, "incident")[0]["data"]
        assert (incident["subject_kind"], incident["subject_id"]) == ("department", "IT-DEPT")
    overdue = s.of(paused_case, "overdue")[0]["data"]
    new_due = res_at + timedelta(minutes=40)
    assert abs(datetime.fromisoformat(overdue["due_at"]) - new_due) < timedelta(seconds=1)

    # Closing stopped the ladder at rung 1 (the others reached rung 4 long after) and was flagged.
    assert [m["data"]["rung"] for m in s.of(closed_case, "escalated")] == [1]
    kinds = [m["data"]["kind"] for m in s.of(closed_case, "finding")]
    assert kinds == ["closed_red_without_reason"]

    # Both workers serve the board after the restart.
    deadline = time.monotonic() + 60
    while True:
        parts = await s.assignment()
        if all(parts) and sorted(p for ps in parts for p in ps) == list(range(6)):
            break
        assert time.monotonic() < deadline, f"no stable assignment after restart: {parts}"
        await asyncio.sleep(0.5)
    owner = next(
        w for w, ps in zip(s.workers, parts, strict=True) if partition_of(paused_case) in ps
    )
    view = (await owner.get(f"/v1/stages/{paused_case}")).json()
    assert view["stages"][0]["status"] == "open" and view["stages"][0]["light"] == "red"
    board = (await owner.get("/v1/board?department=IT-DEPT")).json()
    assert board["counts"]["red"] >= 1 and board["overdue"]
    assert (await owner.get("/v1/board?region=abc")).status_code == 422
    # The other worker's board is the whole platform's too: it shows the stage it does not own.
    other = next(w for w in s.workers if w is not owner)
    # Its view of the owner's partitions is the owner's last board snapshot (refreshed every
    # monitor_board_refresh_s): one taken while the restarted owner was still recovering its
    # table may not list the stage yet, the next one does.
    deadline = time.monotonic() + 30
    while True:
        seen = (await other.get("/v1/board?department=IT-DEPT")).json()
        overdue = {o["case_id"] for o in seen["overdue"]}
        if seen["partitions"] == list(range(6)) and paused_case in overdue:
            break
        assert time.monotonic() < deadline, (
            f"board covers {seen['partitions']}, overdue {sorted(overdue)}, not {paused_case}; "
            f"workers {await s.assignment()}; warnings: {[_warnings(w.log) for w in s.workers]}"
        )
        await asyncio.sleep(0.5)
    assert seen["partitions_total"] == 6


async def test_a_stage_opened_on_egov_cases_is_dead_lettered_and_starts_no_clock(
    stack: Stack,
) -> None:
    """The monitor routes by type and reads egov.cases too: a stage opened there (it belongs on
    egov.stages) must not be supervised."""
    s = stack
    case_id = f"{s.prefix}-T-{uuid.uuid4().hex[:6]}"
    now = s.now()
    opened = _opened(case_id, now, now + timedelta(days=1))
    value = make_envelope(opened, source="/egov/intake", time=now).to_json_bytes()
    await s.producer.send_and_wait(T_CASES, value, key=case_id.encode())

    def letters() -> list[dict[str, Any]]:
        return [m for m in s.seen if m["type"] == "dlq.x.v1" and m["case"] == case_id]

    await s.until("the dead letter", lambda: bool(letters()))
    [letter] = letters()
    assert letter["dlq.reason"] == "wrong_topic" and letter["dlq.source.topic"] == T_CASES
    assert [(await w.get(f"/v1/stages/{case_id}")).status_code for w in s.workers] == [404, 404]

    # The workers carry on: the same event on egov.stages is supervised.
    await s.producer.send_and_wait(T_STAGES, value, key=case_id.encode())
    deadline = time.monotonic() + 60
    while True:
        views = [await w.get(f"/v1/stages/{case_id}") for w in s.workers]
        found = [v.json() for v in views if v.status_code == 200]
        if found:
            break
        assert time.monotonic() < deadline, "the stage on egov.stages was never supervised"
        await asyncio.sleep(0.5)
    assert found[0]["stages"][0]["status"] == "open"
    assert len(letters()) == 1
