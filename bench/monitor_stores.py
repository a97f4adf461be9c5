"""The monitor's table stores side by side on Apache Kafka in one run: memory and RocksDB.

    .venv/bin/python -m bench.monitor_stores [--open 100000] [--burst 5000] [--write-docs]

On a private Apache Kafka stack, one worker per store, one after the other
(bench/monitor_timers.py): open stages taken in and the worker's RSS per open stage; a
burst of stages due at one instant (p99 delay, firings/s until the last); a SIGKILL with the open
stages and an immediate restart on the same data directory (restart to every timer back); for
RocksDB also a restart on an emptied data directory (a new node). The bound measured in the same
run: the cold start of an empty worker (no stages: group join and nothing to recover).
The second bound: faust's own table-write ceiling (bench/faust_ceiling.py --table, a faust
agent that writes each event of egov.stages into a changelog-backed table and does nothing
else), read over the same topic on the same stack after both workers ran; a burst's drain rate
is set against it (issue 22: at least 0.8).
"""

from __future__ import annotations

import argparse
import json
import os
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
from dev import devstack  # noqa: E402

STORES = ("memory", "rocksdb")  # columns; measured rocksdb first
MARKERS = markers("stores")


def json_line(out: str) -> dict[str, Any]:
    """The last line of a benchmark's output that is a JSON object (faust prints more)."""
    for line in reversed(out.strip().splitlines()):
        if "{" in line:  # after a terminal escape faust's spinner may leave
            try:
                return dict(json.loads(line[line.index("{") :]))
            except ValueError:
                continue
    return {}


def measure(args: argparse.Namespace) -> dict[str, Any]:
    base = Path(tempfile.mkdtemp(prefix="egov-stores-"))
    stack = devstack.start_stack(
        base / "stack", kafka_port=0, mongo_port=0, memory_db=True, broker="apache"
    )
    results: dict[str, Any] = {
        "broker": stack.broker_label,
        "load": [load()],
        "run_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    try:
        devstack.ensure_topics(stack.env())
        for store in reversed(STORES):
            env = {
                **stack.env(),
                "EGOV_MONITOR_STORE": store,
                "EGOV_MONITOR_DATA_DIR": str(base / f"data-{store}"),
            }
            argv = ["bench/monitor_timers.py", "--open", str(args.open), "--probes",
                    "1000", "--window", "10", "--burst", str(args.burst)]  # fmt: skip
            if store == "rocksdb":
                argv.append("--empty-restart")
            results[store] = json_line(run(argv, env, timeout=3600))
            print(store, json.dumps(results[store]), flush=True)  # kept should a later step fail
        ceiling = ["bench/faust_ceiling.py", "--table"]
        results["ceiling"] = json_line(run(ceiling, stack.env(), timeout=1800))
        print("ceiling", json.dumps(results["ceiling"]), flush=True)
    finally:
        devstack.stop_stack(base / "stack", log=lambda *_: None)
    results["load"].append(load())
    return results


def load() -> str:
    """The 1-minute load average as ``uptime`` shows it, with the time it was read."""
    return f"{os.getloadavg()[0]:.2f} at {time.strftime('%H:%M UTC', time.gmtime())}"


def render(r: dict[str, Any], command: str) -> str:
    def row(label: str, pick: Any) -> str:
        values = []
        for store in STORES:
            try:
                values.append(pick(r[store]))
            except (KeyError, TypeError, ZeroDivisionError):
                values.append("—")
        return f"| {label} | " + " | ".join(values) + " |"

    def drain(x: dict[str, Any]) -> str:
        b = x["burst"]
        return f"{b['fired']:,} of {b['expected']:,}, {b['fired'] / b['max_s']:,.0f}"

    ceiling = (r.get("ceiling") or {}).get("rate")

    def to_ceiling(x: dict[str, Any]) -> str:
        b = x["burst"]
        return f"{b['fired'] / b['max_s'] / ceiling:.2f}"

    lines = [
        "| what | memory | rocksdb |",
        "|---|---|---|",
        row("cold start of an empty worker (bound), s", lambda x: f"{x['cold_start_ready_s']:.1f}"),
        row("open stages taken in, stages/s", lambda x: f"{x['ingest_rate']:,}"),
        row("worker RSS growth per open stage, B", lambda x: f"{x['bytes_per_open_stage']:,}"),
        row(
            f"SIGKILL with {r['open']:,}+ open stages: restart to every timer back, s",
            lambda x: f"{x['recovery']['restart_to_ready_s']:.1f}",
        ),
        row(
            "stages due while the worker was down that fired after the restart",
            lambda x: f"{x['recovery']['due_while_down_fired']} of 100",
        ),
        row(
            "same, restarted on an emptied data directory (a new node), s",
            lambda x: f"{x['empty_restart']['restart_to_ready_s']:.1f}",
        ),
        row(
            "1,000 stages due spread over 10 s, p99 delay s",
            lambda x: f"{x['spread']['p99_s']:.3f}",
        ),
        row(
            f"{r['burst']:,} stages due at one instant, p99 delay s",
            lambda x: f"{x['burst']['p99_s']:.2f}",
        ),
        row("burst fired, and firings/s until the last", drain),
        row(
            "burst: seconds the worker held every stage before they fell due",
            lambda x: f"{x['burst']['held_before_due_s']:.1f}",
        ),
        row(
            f"faust's table-write ceiling over egov.stages (bound), events/s ({r.get('ceiling', {}).get('events', 0):,} events)",
            lambda x: f"{ceiling:,}",
        ),
        row("burst firings/s / that ceiling (target >= 0.8)", to_ceiling),
    ]
    return (
        f"{MARKERS[0]}\n## The monitor's table stores on Apache Kafka (same run)\n\n"
        f"Run {r.get('run_at') or time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on one private "
        f"{r['broker']} stack, one worker per store one after the other, timers firing in "
        f"batches; 1-minute load average {' and '.join(r.get('load') or ['not recorded'])} "
        "(2 cores shared with other work).\n\n"
        + "\n".join(lines)
        + f"\n\nCommand:\n\n```\n{command}\n```\n{MARKERS[1]}\n"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--open", type=int, default=100_000)
    parser.add_argument("--burst", type=int, default=5_000)
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument("--from-json", type=Path, help="render a saved run instead of measuring")
    args = parser.parse_args()
    if args.from_json:
        results = json.loads(args.from_json.read_text())
    else:
        results = measure(args) | {"open": args.open, "burst": args.burst}
    # a saved run keeps the command that measured it
    command = results.get("command") or ".venv/bin/python -m bench.monitor_stores " + " ".join(
        sys.argv[1:]
    )
    results["command"] = command
    print(json.dumps(results, indent=1))
    text = render(results, command)
    print(text)
    if args.write_docs:
        write_section("stores", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
