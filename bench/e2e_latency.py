"""End-to-end latency: from an applicant's submission (HTTP request sent) to the applicant's
receipt notification being delivered (email, SMS, inbox), on the whole platform as processes.

    .venv/bin/python bench/e2e_latency.py --cases 100 --concurrency 5 [--write-docs]

Starts its own broker and database (memory mode), the five services, a real SMTP server and the
stand-in SMS gateway; real clock. Prints p50 / p99 per channel, and per hop (bench/e2e_hops.py).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import httpx  # noqa: E402

from bench.e2e_hops import handler_table, handler_times, hops  # noqa: E402
from bench.e2e_hops import table as hop_table  # noqa: E402
from bench.report import write_section  # noqa: E402
from bench.stats import percentile  # noqa: E402
from demo.bus import read_all  # noqa: E402
from demo.plan import plan_day  # noqa: E402
from dev import devstack  # noqa: E402
from dev.devsms import make_server  # noqa: E402
from shared.auth import submission_token  # noqa: E402
from shared.contracts import T_NOTIFICATIONS, topic_for  # noqa: E402
from shared.settings import ServiceSettings  # noqa: E402
from tests.support.processes import Platform, free_port  # noqa: E402

SETTINGS = ServiceSettings(service_name="bench")  # the dev stack's token key
SUBMITTED = "gov.egov.case.submitted.v1"


async def hop_times(
    bootstrap: str, mongo_uri: str, sent: dict[str, float]
) -> dict[str, list[float]]:
    """Per hop (bench/e2e_hops.py): the bus's records and notify's delivery rows."""
    from pymongo import AsyncMongoClient

    records = await read_all(bootstrap, [topic_for(SUBMITTED), T_NOTIFICATIONS], idle_s=2.0)
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_uri, tz_aware=True)
    try:
        rows = client["bench_notify"]["deliveries"].find({}, {"created_at": 1})
        recorded = {str(d["_id"]): d["created_at"] async for d in rows}
    finally:
        await client.close()
    return hops(records, sent, recorded)


async def measure(
    platform: Platform, bootstrap: str, cases: int, concurrency: int
) -> tuple[dict[str, list[float]], dict[str, int], dict[str, list[float]], str]:
    intake = platform.url("intake")
    sent: dict[str, float] = {}
    refused: dict[str, int] = {}
    async with httpx.AsyncClient(timeout=60) as http:
        items = (await http.get(f"{intake}/v1/catalog/items")).json()
        planned = [c for c in plan_day(items, cases, seed=21) if not c.external]
        sem = asyncio.Semaphore(concurrency)

        async def submit(case) -> None:  # type: ignore[no-untyped-def]
            body = {
                "item_code": case.item["code"],
                "applicant": case.applicant,
                "contact": case.contact,
                "materials": case.materials,
                "channel": case.channel,
                "receiving_region": case.receiving_region,
                "handling_region": case.handling_region,
            }
            async with sem:
                started = time.time()
                token = submission_token(SETTINGS, body, now=datetime.now(UTC))
                headers = {"Authorization": f"Bearer {token}"}
                resp = await http.post(f"{intake}/v1/cases", json=body, headers=headers)
                if resp.status_code == 201:
                    sent[resp.json()["case_id"]] = started
                else:  # the plan includes applicants the rules refuse (credit, materials)
                    refused[str(resp.status_code)] = refused.get(str(resp.status_code), 0) + 1

        await asyncio.gather(*(submit(c) for c in planned))
    deadline = time.monotonic() + 120
    latencies: dict[str, list[float]] = {}
    last = 0.0
    while time.monotonic() < deadline:
        await asyncio.sleep(5)
        latencies = {}
        for r in await read_all(bootstrap, ["egov.notifications"]):
            e = r.envelope
            if e is None or e.type != "gov.egov.notification.delivered.v1":
                continue
            d = e.data
            if (
                d.get("source_event_type") != "gov.egov.case.submitted.v1"
                or d.get("case_id") not in sent
            ):
                continue
            delivered = datetime.fromisoformat(d["delivered_at"]).astimezone(UTC).timestamp()
            latencies.setdefault(d["channel"], []).append(delivered - sent[d["case_id"]])
            last = max(last, delivered)
        if latencies and all(len(v) >= len(sent) for v in latencies.values()):
            break
    by_hop = await hop_times(bootstrap, platform.mongo_uri, sent)
    async with httpx.AsyncClient(timeout=10) as http:
        metrics = (await http.get(f"{platform.url('notify')}/metrics")).text
    span = last - min(sent.values(), default=last)
    handlers = handler_table(handler_times(metrics), span)
    return latencies, {"planned": len(planned), "accepted": len(sent), **refused}, by_hop, handlers


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=5)
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="egov-e2e-bench-"))
    stack = devstack.start_stack(work / "stack", kafka_port=0, mongo_port=0, memory_db=True)
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Mailbox

    smtp_port, sms_port = free_port(), free_port()
    mail = Controller(Mailbox(str(work / "mail")), hostname="127.0.0.1", port=smtp_port)
    sms = make_server("127.0.0.1", sms_port, work / "sms.jsonl")
    platform = Platform(
        stack.kafka_bootstrap,
        stack.mongo_uri,
        work / "logs",
        db_prefix="bench",
        identities=devstack.service_identities(stack.env()),  # each service as itself
        extra_env={
            "EGOV_SMTP_PORT": str(smtp_port),
            "EGOV_SMS_GATEWAY_URL": f"http://127.0.0.1:{sms_port}/sms",
            "EGOV_LOG_LEVEL": "WARNING",
            "EGOV_RATE_LIMIT_COUNT": "1000",
            # No quiet hours: an applicant's SMS would otherwise wait for 08:00 Beijing time.
            "EGOV_QUIET_HOURS_START": "00:00",
            "EGOV_QUIET_HOURS_END": "00:00",
        },
    )
    try:
        devstack.ensure_topics(stack.env())
        mail.start()
        threading.Thread(target=sms.serve_forever, daemon=True).start()
        platform.start()
        lat, counts, by_hop, handlers = asyncio.run(
            measure(platform, stack.kafka_bootstrap, args.cases, args.concurrency)
        )
    finally:
        platform.stop()
        sms.shutdown()
        mail.stop()
        devstack.stop_stack(work / "stack", log=lambda *_: None)
    rows = []
    for channel, values in sorted(lat.items()):
        rows.append(
            f"| {channel} | {len(values)} | {statistics.median(values) * 1000:.0f} | {percentile(values, 99) * 1000:.0f} |"
        )
    table = "| channel | n | p50 ms | p99 ms |\n|---|---|---|---|\n" + "\n".join(rows)
    others = ", ".join(
        f"{n} refused with HTTP {code}" for code, n in counts.items() if code.isdigit()
    )
    table += (
        f"\n\n> {counts['planned']} planned submissions, {counts['accepted']} accepted"
        + (f" ({others}: applicants the rules refuse, by plan)" if others else "")
        + "; n is the receipts delivered within the wait."
    )
    table += "\n\nBy hop (bench/e2e_hops.py says where each instant comes from):\n\n"
    table += hop_table(by_hop)
    table += "\n\nNotify's handlers in that run (its /metrics):\n\n" + handlers
    print(table)
    if args.write_docs:
        section = (
            "<!-- e2e-latency:start -->\n## End to end: submission to the applicant's receipt\n\n"
            f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, 2 cores, whole platform as processes on the local "
            f"stack, real clock; {args.cases} cases at {args.concurrency} concurrent applicants. Latency "
            "from sending `POST /v1/cases` to the `notification.delivered` time of the applicant's "
            "receipt notification, per channel.\n\n" + table + "\n\nCommand:\n\n```\n"
            f".venv/bin/python -m bench.e2e_latency --cases {args.cases} --concurrency {args.concurrency} --write-docs\n```\n"
            "<!-- e2e-latency:end -->\n"
        )
        write_section("e2e-latency", section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
