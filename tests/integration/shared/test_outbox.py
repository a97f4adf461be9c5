"""The outbox publishes what was committed even when the relay dies (SIGKILL) between the
commit and the publish, or between the publish and marking it sent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer
from pymongo import AsyncMongoClient

from shared.contracts import Envelope
from shared.kafka.metadata import topic_partitions
from shared.kafka.offsets import verified_end_offsets

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[3]


def spawn(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.integration.shared._outbox_proc", *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_line(proc: subprocess.Popen[str], prefix: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line.startswith(prefix):
            return line.strip()
        if not line and proc.poll() is not None:
            raise AssertionError(
                f"child exited {proc.returncode}: {proc.stderr.read() if proc.stderr else ''}"
            )
    raise AssertionError(f"no {prefix} line within {timeout}s")


async def events_for(bootstrap: str, topic: str, key: str, timeout: float = 30) -> list[Envelope]:
    """Every copy of the events keyed `key` on `topic`, once every relay has exited: read up to the
    topic's end offsets taken then (verified), so a late copy cannot slip past a fixed wait."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        parts = await topic_partitions(consumer, topic)
        end = await verified_end_offsets(parts, {"bootstrap_servers": bootstrap})
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        found: list[Envelope] = []
        deadline = time.monotonic() + timeout
        while [tp for tp in parts if await consumer.position(tp) < end[tp]]:
            if time.monotonic() > deadline:
                raise AssertionError(f"{topic} not read to its end within {timeout}s")
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                found += [
                    Envelope.from_json_bytes(r.value) for r in records if r.key == key.encode()
                ]
        return found
    finally:
        await consumer.stop()


@pytest.fixture
def child_env(kafka_bootstrap: str, mongo_uri: str) -> dict[str, str]:
    return {
        **os.environ,
        "EGOV_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "EGOV_MONGO_URI": mongo_uri,
        "PYTHONPATH": str(REPO),
    }


async def test_event_committed_before_a_crash_is_published_after_restart(
    kafka_bootstrap: str, mongo_uri: str, unique_id: str, child_env: dict[str, str]
) -> None:
    db_name, case_id = f"outbox_{unique_id[:12]}", f"500000-20260302-{unique_id[:6]}"
    writer = spawn("write", db_name, case_id, env=child_env)
    try:
        event_id = wait_line(writer, "COMMITTED").split()[1]
        writer.send_signal(signal.SIGKILL)
        writer.wait(10)
    finally:
        writer.kill()

    client: AsyncMongoClient = AsyncMongoClient(mongo_uri)
    try:
        db = client[db_name]
        assert await db.cases.find_one({"_id": case_id}) is not None
        pending = await db.outbox.find_one({"_id": event_id})
        assert pending is not None and pending["sent"] is False

        relay = spawn("relay", db_name, env=child_env)
        wait_line(relay, "DRAINED")
        assert relay.wait(30) == 0

        published = await events_for(kafka_bootstrap, "egov.stages", case_id)
        assert [e.id for e in published] == [event_id]
        assert (await db.outbox.find_one({"_id": event_id}))["sent"] is True
    finally:
        await client.close()


async def test_crash_between_publish_and_mark_publishes_again_with_the_same_id(
    kafka_bootstrap: str, mongo_uri: str, unique_id: str, child_env: dict[str, str]
) -> None:
    db_name, case_id = f"outbox_{unique_id[:12]}", f"500000-20260302-{unique_id[6:12]}"
    writer = spawn("write", db_name, case_id, env=child_env)
    try:
        event_id = wait_line(writer, "COMMITTED").split()[1]
    finally:
        writer.kill()
        writer.wait(10)

    crashing = spawn("relay-crash", db_name, env=child_env)
    wait_line(crashing, "PUBLISHED")
    assert crashing.wait(30) == -signal.SIGKILL

    relay = spawn("relay", db_name, env=child_env)
    wait_line(relay, "DRAINED")
    relay.wait(30)

    published = await events_for(kafka_bootstrap, "egov.stages", case_id)
    # At least once: the copy carries the same id, so consumers drop it.
    assert [e.id for e in published] == [event_id, event_id]
