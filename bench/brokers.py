"""Apache Kafka next to Tansu, in one run: the same benchmarks on a private stack of each broker,
one after the other on the same machine, figures side by side.

    .venv/bin/python -m bench.brokers [--events 20000] [--requests 300] [--cases 30]
        [--produce 50000] [--open 20000] [--burst 5000] [--write-docs]

Per broker: a bare aiokafka producer (acks=all, idempotent where the broker has it) and a bare
groupless consumer over the same messages; one monitor worker's steady-state stage events/s next
to the bare consumer (bench/monitor_throughput.py); the monitor's timers: stages all due
at one instant (the midnight burst) and a SIGKILL with open stages, restart to every timer back
(bench/monitor_timers.py); intake submissions next to the raw
insert+produce bound (bench/intake_bench.py); submission to the applicant's receipt
(bench/e2e_latency.py, the five services as processes, each as its own principal on
Apache Kafka).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.report import write_section  # noqa: E402
from dev import devstack  # noqa: E402

BROKERS = ("apache", "tansu")


async def bare_produce_consume(bootstrap: str, n: int, idempotent: bool) -> dict[str, float]:
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    from shared.kafka.metadata import topic_partitions

    topic = f"bench-bare-{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    await admin.create_topics([NewTopic(topic, 6, 1)])
    await admin.close()
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=idempotent, linger_ms=5
    )
    await producer.start()
    value = b'{"specversion":"1.0","type":"bench","data":{"x":' + b"1" * 300 + b"}}"
    started = time.perf_counter()
    futures = [await producer.send(topic, value, key=str(i % 997).encode()) for i in range(n)]
    await asyncio.gather(*futures)
    produce_s = time.perf_counter() - started
    await producer.stop()
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    parts = await topic_partitions(consumer, topic)
    consumer.assign(parts)
    await consumer.seek_to_beginning(*parts)
    got, started = 0, time.perf_counter()
    while got < n and time.perf_counter() - started < 120:
        batch = await consumer.getmany(timeout_ms=500, max_records=10_000)
        got += sum(len(r) for r in batch.values())
    consume_s = time.perf_counter() - started
    await consumer.stop()
    return {"produce_per_s": n / produce_s, "consume_per_s": got / consume_s, "consumed": got}


def run(argv: list[str], env: dict[str, str], timeout: float = 1800) -> str:
    print("$", " ".join(argv), flush=True)
    done = subprocess.run(
        [sys.executable, *argv],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        print(done.stdout[-3000:], done.stderr[-3000:], file=sys.stderr)
    return done.stdout


def measure(broker: str, args: argparse.Namespace) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix=f"egov-brokers-{broker}-"))
    stack = devstack.start_stack(
        work / "stack", kafka_port=0, mongo_port=0, memory_db=True, broker=broker
    )
    out: dict[str, Any] = {"broker": stack.broker_label}
    try:
        devstack.ensure_topics(stack.env())
        env = {**stack.env(), "EGOV_DEV_BROKER": broker}
        out["bare"] = asyncio.run(
            bare_produce_consume(stack.kafka_bootstrap, args.produce, broker == "apache")
        )
        monitor = run(["bench/monitor_throughput.py", "--events", str(args.events)], env)
        out["monitor"] = json.loads(monitor.strip().splitlines()[-1]) if monitor else {}
        timers = run(
            ["bench/monitor_timers.py", "--open", str(args.open), "--probes", "1000",
             "--window", "10", "--burst", str(args.burst)],
            env,
        )  # fmt: skip
        out["timers"] = json.loads(timers.strip().splitlines()[-1]) if timers else {}
        intake = run(
            ["bench/intake_bench.py", "--requests", str(args.requests),
             "--concurrency", "20"],
            env,
        )  # fmt: skip
        out["intake"] = {
            m["name"]: {"rate": float(m["rate"]), "p99": float(m["p99"])}
            for m in re.finditer(
                r"^(?P<name>.+?): (?P<rate>[\d.]+)/s p50 [\d.]+ ms p99 (?P<p99>[\d.]+) ms",
                intake,
                re.M,
            )
        }
    finally:
        devstack.stop_stack(work / "stack", log=lambda *_: None)
    e2e = run(["bench/e2e_latency.py", "--cases", str(args.cases)], env)
    out["e2e"] = [line for line in e2e.splitlines() if line.startswith(("|", ">"))]
    return out


def render(results: list[dict[str, Any]], command: str, args: argparse.Namespace) -> str:
    def col(f: Any) -> str:
        return " | ".join(f(r) for r in results)

    def intake(r: dict[str, Any], pick: str) -> str:
        rows = list(r["intake"].values())
        return f"{rows[0][pick]:.0f}" if rows else "—"

    def ratio(r: dict[str, Any]) -> str:
        rows = list(r["intake"].values())
        return f"{rows[0]['rate'] / rows[1]['rate']:.2f}" if len(rows) > 1 else "—"

    def timers(r: dict[str, Any], part: str, key: str, fmt: str = "{:.1f}") -> str:
        value = r.get("timers", {}).get(part, {}).get(key)
        return "—" if value is None else fmt.format(value)

    def drain(r: dict[str, Any]) -> str:
        burst = r.get("timers", {}).get("burst", {})
        if not burst.get("max_s"):
            return "—"
        return (
            f"{burst['fired']:,} of {burst['expected']:,}, {burst['fired'] / burst['max_s']:,.0f}"
        )

    head = "| what | " + col(lambda r: r["broker"]) + " |\n|---|" + "---|" * len(results)
    lines = [
        head,
        "| bare aiokafka producer, msgs/s (acks=all; idempotent on Apache Kafka) | "
        + col(lambda r: f"{r['bare']['produce_per_s']:,.0f}")
        + " |",
        "| bare groupless consumer, msgs/s | "
        + col(lambda r: f"{r['bare']['consume_per_s']:,.0f}")
        + " |",
        "| monitor worker, steady stage events/s | "
        + col(lambda r: str(r["monitor"].get("monitor_rate", "—")))
        + " |",
        "| bare consumer on the same messages, events/s | "
        + col(lambda r: str(r["monitor"].get("bare_consumer_rate", "—")))
        + " |",
        "| monitor timers: stages due spread over 10 s, p99 delay s | "
        + col(lambda r: timers(r, "spread", "p99_s", "{:.3f}"))
        + " |",
        f"| monitor timers: {args.burst:,} stages due at one instant, p99 delay s | "
        + col(lambda r: timers(r, "burst", "p99_s"))
        + " |",
        "| monitor timers: burst fired, and firings/s until the last | " + col(drain) + " |",
        f"| monitor after SIGKILL with {args.open:,}+ open stages: restart to every timer back, s | "
        + col(lambda r: timers(r, "recovery", "restart_to_ready_s"))
        + " |",
        "| intake submissions/s | " + col(lambda r: intake(r, "rate")) + " |",
        "| intake p99 ms | " + col(lambda r: intake(r, "p99")) + " |",
        "| intake vs raw insert+produce bound | " + col(ratio) + " |",
    ]
    e2e = "\n\n".join(
        f"{r['broker']}, submission to receipt:\n\n"
        + "\n".join(("\n" + line) if line.startswith(">") else line for line in r["e2e"])
        for r in results
    )
    return (
        "<!-- brokers:start -->\n## Apache Kafka next to Tansu (same run)\n\n"
        f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {os.cpu_count()} CPUs "
        "(shared), a private stack per broker one after the other, SecantusDB for both.\n\n"
        + "\n".join(lines)
        + "\n\n"
        + e2e
        + f"\n\nCommand:\n\n```\n{command}\n```\n<!-- brokers:end -->\n"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--cases", type=int, default=30)
    parser.add_argument("--produce", type=int, default=50_000)
    parser.add_argument("--open", type=int, default=20_000, help="open stages before the kill")
    parser.add_argument("--burst", type=int, default=5_000, help="stages due at one instant")
    parser.add_argument("--brokers", default=",".join(BROKERS))
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    results = [measure(b, args) for b in args.brokers.split(",")]
    print(json.dumps(results, indent=1))
    text = render(results, ".venv/bin/python " + " ".join(sys.argv), args)
    print(text)
    if args.write_docs:
        write_section("brokers", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
