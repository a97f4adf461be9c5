"""What faust-streaming itself costs per event on this machine: the ceiling for any faust worker.

A minimal faust 0.15.3 app reads ``egov.stages`` from the beginning with a new consumer group
(same broker, same messages as the monitor benchmark) and does nothing per event (``--table``:
one write of the raw value into a changelog-backed memory table, which is what every monitor
event costs at least). Prints events/s from the first event to the last.

    EGOV_KAFKA_BOOTSTRAP=127.0.0.1:19203 .venv/bin/python -m bench.faust_ceiling [--table]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
import uuid

import faust

from bench.monitor_throughput import end_offsets
from services.monitor.faust_app import broker_url
from services.monitor.transport import faust_credentials
from shared.contracts import T_STAGES
from shared.settings import ServiceSettings


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--table", action="store_true", help="write every event into a table")
    ap.add_argument("--threaded", action="store_true", help="faust's producer_threaded setting")
    args = ap.parse_args()
    # the platform's connection settings (EGOV_KAFKA_*: a SASL broker such as the dev stack's)
    settings = ServiceSettings(service_name="bench")
    target = sum(asyncio.run(end_offsets(settings.kafka_bootstrap)).values())
    credentials = faust_credentials(settings)
    app = faust.App(
        f"egov-faust-ceiling-{uuid.uuid4().hex[:8]}",
        broker=broker_url(settings.kafka_bootstrap),
        **({"broker_credentials": credentials} if credentials is not None else {}),
        store="memory://",
        datadir=tempfile.mkdtemp(prefix="egov-faust-ceiling-"),
        web_enabled=False,
        autodiscover=False,
        topic_partitions=6,
        consumer_auto_offset_reset="earliest",
        broker_commit_interval=1.0,
        producer_threaded=args.threaded,
    )
    topic = app.topic(T_STAGES, key_type=bytes, value_type=bytes, value_serializer="raw")
    table = app.Table("ceiling", default=None, partitions=6, value_type=bytes)
    seen = {"n": 0, "t0": 0.0}

    async def agent(stream: faust.StreamT) -> None:
        async for event in stream.events():
            if not seen["n"]:
                seen["t0"] = time.perf_counter()
            seen["n"] += 1
            if args.table:
                table[event.key] = event.value
            if seen["n"] >= target:
                took = time.perf_counter() - seen["t0"]
                result = {
                    "table": args.table,
                    "threaded": args.threaded,
                    "events": target,
                    "rate": round(target / took),
                }
                # faust's worker redirects sys.stdout into its log (stderr): write to the fd
                os.write(1, (json.dumps(result) + "\n").encode())
                os._exit(0)

    app.agent(topic, name="ceiling")(agent)
    print(f"reading {target} messages", file=sys.stderr, flush=True)
    sys.argv = [sys.argv[0], "worker", "-l", "warn", "--without-web"]
    app.main()


if __name__ == "__main__":
    main()
