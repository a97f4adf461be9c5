"""SIGKILL while sending, then restart: no delivery lost and none duplicated.

Notify runs as a real process (``python -m services.notify``). The SMTP server holds the first
mail of the test's case without answering, the process is killed in the middle of that SMTP
transaction, and a second process must finish every delivery exactly once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient

import tests.unit.notify.notify_samples as s
from services.notify.bootstrap import CONSUMED_TOPICS
from shared.contracts import derived_event_id, make_envelope
from shared.kafka import KafkaPublisher
from shared.settings import ServiceSettings
from tests.integration.notify.notify_receivers import (
    MailCollector,
    free_port,
    start_group_at_end,
    start_smtp,
    until,
)

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def mail() -> Iterator[MailCollector]:
    collector = MailCollector()
    controller, port = start_smtp(collector)
    collector.port = port  # type: ignore[attr-defined]
    yield collector
    collector.release.set()
    controller.stop()


def start_notify(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "services.notify"],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


async def wait_ready(port: int, proc: subprocess.Popen[bytes]) -> None:
    async with httpx.AsyncClient() as client:

        async def ready() -> bool:
            assert proc.poll() is None, "notify exited during start-up"
            try:
                r = await client.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
            except httpx.HTTPError:
                return False
            return r.status_code == 200

        await until(ready, timeout=60, what="notify to be ready")


async def test_sigkill_while_sending_loses_nothing_and_duplicates_nothing(
    kafka_bootstrap: str, mongo_uri: str, mail: MailCollector, tmp_path: Path
) -> None:
    run = uuid.uuid4().hex[:10]
    case = f"crash-{run}"
    mail.hold_cases.add(case)
    http_port = free_port()
    db_name = f"egov_notify_crash_{run}"
    env = os.environ | {
        "EGOV_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "EGOV_MONGO_URI": mongo_uri,
        "EGOV_MONGO_DB": db_name,
        "EGOV_CONSUMER_GROUP": f"notify-crash-{run}",
        "EGOV_HTTP_PORT": str(http_port),
        "EGOV_SMTP_PORT": str(mail.port),  # type: ignore[attr-defined]
        "EGOV_SMS_GATEWAY_URL": f"http://127.0.0.1:{free_port()}/sms",
        "EGOV_DELIVERY_LEASE_S": "3",
        "EGOV_WORKER_POLL_S": "0.3",
        "EGOV_SMTP_TIMEOUT_S": "2",
        "EGOV_LOG_LEVEL": "WARNING",
    }
    log = tmp_path / "notify.log"
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_uri, tz_aware=True)
    deliveries = mongo[db_name]["deliveries"]
    publisher = KafkaPublisher(ServiceSettings(kafka_bootstrap=kafka_bootstrap))
    await start_group_at_end(kafka_bootstrap, env["EGOV_CONSUMER_GROUP"], CONSUMED_TOPICS)
    first = start_notify(env, log)
    second: subprocess.Popen[bytes] | None = None
    try:
        await wait_ready(http_port, first)
        await publisher.start()
        now = datetime.now(UTC)
        submitted = make_envelope(
            s.case_submitted(case, now, phone=None, email=f"{run}@example.cn"),
            source="/egov/it",
            time=now,
        )
        opened = make_envelope(s.stage_opened(case, f"{case}-S1", now), source="/egov/it", time=now)
        await publisher.publish(submitted)
        await publisher.publish(opened)

        await until(lambda: mail.held >= 1, timeout=60, what="a mail in flight")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        mail.release.set()
        pending = await deliveries.find({"status": "pending"}).to_list(None)
        assert pending, "the killed process left nothing pending: the test did not kill mid-send"

        second = start_notify(env, log)
        await wait_ready(http_port, second)

        async def all_sent() -> list[dict[str, Any]] | None:
            docs = await deliveries.find({"case_id": case}).to_list(None)
            if len(docs) == 6 and all(d["status"] == "sent" for d in docs):
                return docs
            return None

        docs = await until(all_sent, timeout=90, what="every delivery sent after the restart")
        assert sorted((d["recipient_key"], d["channel"]) for d in docs) == sorted(
            [(s.applicant_id(), "inbox"), (s.applicant_id(), "email")]
            + [(o, c) for o in ("cq-scj-h01", "cq-scj-h02") for c in ("inbox", "email")]
        )
        received = sorted(m.rcpt_tos[0] for m in mail.for_case(case))
        assert received == sorted(
            [
                f"{run}@example.cn",
                "wang.fang@scj.cq.gov.example.cn",
                "li.qiang@scj.cq.gov.example.cn",
            ]
        )
        assert await mongo[db_name]["inbox"].count_documents({"case_id": case}) == 3
        outcome_ids = [derived_event_id("notify", "delivered", d["_id"]) for d in docs]
        outbox = mongo[db_name]["outbox"]
        assert await outbox.count_documents({"_id": {"$in": outcome_ids}}) == 6
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
        await publisher.stop()
        await mongo.close()
