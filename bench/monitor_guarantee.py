"""faust's processing guarantees for the monitor, side by side on Apache Kafka in one run.

    .venv/bin/python -m bench.monitor_guarantee [--events 20000] [--open 20000]
        [--burst 5000] [--write-docs]

On a private Apache Kafka stack, for `at_least_once` (what runs) and `exactly_once` (Kafka
transactions): one worker's steady stage events/s (bench/monitor_throughput.py); the
timers' ingest rate, a burst of stages due at one instant and a SIGKILL with open stages
(bench/monitor_timers.py); then, from the broker's own log segments, how many record
batches were written inside a transaction, in the exactly_once worker's table changelog and in
egov.supervision, where the monitor's alerts go. The decision it informs: docs/monitor.md,
"Processing guarantee".
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.brokers import run  # noqa: E402
from bench.report import markers, write_section  # noqa: E402
from dev import apache_kafka, devstack  # noqa: E402
from shared.contracts import T_SUPERVISION  # noqa: E402

GUARANTEES = ("at_least_once", "exactly_once")
MARKERS = markers("guarantee")


def last_json(out: str) -> dict[str, Any]:
    return json.loads(out.strip().splitlines()[-1]) if out.strip() else {}


def measure(args: argparse.Namespace) -> dict[str, Any]:
    state = Path(tempfile.mkdtemp(prefix="egov-guarantee-")) / "stack"
    stack = devstack.start_stack(state, kafka_port=0, mongo_port=0, memory_db=True, broker="apache")
    results: dict[str, Any] = {"broker": stack.broker_label}
    try:
        devstack.ensure_topics(stack.env())
        for guarantee in GUARANTEES:
            env = {**stack.env(), "EGOV_MONITOR_PROCESSING_GUARANTEE": guarantee}
            steady = run(["bench/monitor_throughput.py", "--events", str(args.events)], env)
            timers = run(
                ["bench/monitor_timers.py", "--open", str(args.open), "--probes", "1000",
                 "--window", "10", "--burst", str(args.burst)],
                env,
            )  # fmt: skip
            results[guarantee] = {"steady": last_json(steady), "timers": last_json(timers)}
        eos_app = results["exactly_once"]["timers"].get("app_id", "")
        results["batches"] = {
            "changelog": apache_kafka.transactional_batches(
                state, f"{eos_app}-monitor-cases-changelog"
            ),
            "supervision": apache_kafka.transactional_batches(state, T_SUPERVISION),
        }
    finally:
        devstack.stop_stack(state, log=lambda *_: None)
    return results


def render(r: dict[str, Any], command: str) -> str:
    def row(label: str, pick: Any) -> str:
        values = []
        for g in GUARANTEES:
            try:
                values.append(pick(r[g]))
            except (KeyError, TypeError, ZeroDivisionError):
                values.append("—")
        return f"| {label} | " + " | ".join(values) + " |"

    tx_changelog, all_changelog = r["batches"]["changelog"]
    tx_alerts, all_alerts = r["batches"]["supervision"]
    lines = [
        "| what | at_least_once | exactly_once |",
        "|---|---|---|",
        row("steady stage events/s, one worker", lambda x: f"{x['steady']['monitor_rate']:,}"),
        row("timers: open stages taken in, stages/s", lambda x: f"{x['timers']['ingest_rate']:,}"),
        row(
            "timers: 1,000 stages due spread over 10 s, p99 delay s",
            lambda x: f"{x['timers']['spread']['p99_s']:.3f}",
        ),
        row(
            f"timers: {r['burst']:,} stages due at one instant, p99 delay s",
            lambda x: f"{x['timers']['burst']['p99_s']:.1f}",
        ),
        row(
            f"SIGKILL with {r['open']:,}+ open stages: restart to every timer back, s",
            lambda x: f"{x['timers']['recovery']['restart_to_ready_s']:.1f}",
        ),
        row(
            "stages due while the worker was down that fired after the restart",
            lambda x: f"{x['timers']['recovery']['due_while_down_fired']} of 100",
        ),
    ]
    return (
        f"{MARKERS[0]}\n## The monitor's processing guarantee on Apache Kafka (same run)\n\n"
        f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on one private "
        f"{r['broker']} stack, the two guarantees one after the other.\n\n"
        + "\n".join(lines)
        + "\n\nRecord batches written inside a Kafka transaction, read from the broker's log "
        "segments after the run (`kafka.tools.DumpLogSegments`):\n\n"
        "| topic | transactional | all |\n|---|---|---|\n"
        f"| the exactly_once worker's table changelog | {tx_changelog:,} | {all_changelog:,} |\n"
        f"| `{T_SUPERVISION}` (both runs' alerts) | {tx_alerts:,} | {all_alerts:,} |\n"
        f"\nCommand:\n\n```\n{command}\n```\n{MARKERS[1]}\n"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--open", type=int, default=20_000)
    parser.add_argument("--burst", type=int, default=5_000)
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    results = measure(args) | {"open": args.open, "burst": args.burst}
    print(json.dumps(results, indent=1))
    text = render(results, ".venv/bin/python " + " ".join(sys.argv))
    print(text)
    if args.write_docs:
        write_section("guarantee", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
