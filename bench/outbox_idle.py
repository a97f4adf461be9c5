"""What an outbox relay costs MongoDB when it has nothing to publish, and how soon it publishes
what another process committed (no in-process wake-up), on a private stack (SecantusDB):

    .venv/bin/python -m bench.outbox_idle [--idle 60] [--busy 30] [--samples 10]

1. idle: the relay alone, nothing written anywhere, commands per minute;
2. others busy: another client writes 50 documents a second to another database (SecantusDB
   ends a change stream's waiting getMore at any write), the relay's commands per minute;
3. foreign commit: an event committed by another client, seconds until the relay marked it sent.

The relay is built with its defaults (the services' defaults), so the same file measures an
older tree too (copy it there and run it from that tree's root).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pymongo import AsyncMongoClient  # noqa: E402

from bench.stats import percentile  # noqa: E402
from dev import devstack  # noqa: E402
from shared.contracts import StageOpened, make_envelope  # noqa: E402
from shared.contracts.examples import EXAMPLES  # noqa: E402
from shared.kafka import KafkaPublisher  # noqa: E402
from shared.mongo import Outbox, OutboxRelay  # noqa: E402
from shared.mongo.commands import COMMANDS  # noqa: E402
from shared.settings import ServiceSettings  # noqa: E402

LABEL = "outbox-relay:bench"


def relay_commands() -> dict[str, int]:
    return dict(COMMANDS.of(LABEL))


def per_minute(before: dict[str, int], after: dict[str, int], seconds: float) -> str:
    diff = {k: n - before.get(k, 0) for k, n in after.items() if n - before.get(k, 0)}
    total = sum(diff.values()) * 60 / seconds
    detail = ", ".join(f"{k} {n * 60 / seconds:.0f}" for k, n in sorted(diff.items()))
    return f"{total:.0f}/min ({detail or 'none'})"


async def window(seconds: float) -> str:
    before = relay_commands()
    await asyncio.sleep(seconds)
    return per_minute(before, relay_commands(), seconds)


async def others_busy(other: AsyncMongoClient[Any], seconds: float) -> str:
    col = other[f"bench_other_{uuid.uuid4().hex[:8]}"]["things"]
    before, end = relay_commands(), time.monotonic() + seconds
    while time.monotonic() < end:
        await col.insert_one({"at": time.time()})
        await asyncio.sleep(0.02)
    return per_minute(before, relay_commands(), seconds)


async def foreign_commits(db: Any, samples: int) -> list[float]:
    delays = []
    for i in range(samples):
        data = StageOpened.model_validate(
            {**EXAMPLES[StageOpened.event_type], "case_id": f"500000-20260302-B{i:05d}"}
        )
        env = make_envelope(data, source="/egov/bench", time=datetime.now(UTC))
        started = time.monotonic()
        await Outbox(db).add([env], session=None)
        while not await db.outbox.count_documents({"_id": env.id, "sent": True}):  # noqa: ASYNC110
            await asyncio.sleep(0.005)
        delays.append(time.monotonic() - started)
        await asyncio.sleep(1.0)  # idle again before the next one
    return delays


async def measure(env: dict[str, str], args: argparse.Namespace) -> None:
    settings = ServiceSettings(
        service_name="bench",
        kafka_bootstrap=env["EGOV_KAFKA_BOOTSTRAP"],
        mongo_uri=env["EGOV_MONGO_URI"],
        kafka_idempotence=env.get("EGOV_KAFKA_IDEMPOTENCE", "true") == "true",
    )
    client: AsyncMongoClient[Any] = AsyncMongoClient(settings.mongo_uri, event_listeners=[COMMANDS])
    other: AsyncMongoClient[Any] = AsyncMongoClient(settings.mongo_uri)
    db = client[f"bench_relay_{uuid.uuid4().hex[:8]}"]
    await Outbox(db).ensure_indexes()
    publisher = KafkaPublisher(settings)
    await publisher.start()
    relay = OutboxRelay(db, publisher, service="bench", owner="bench")
    await relay.start()
    try:
        await asyncio.sleep(2.0)  # started: lease taken, change stream (if any) open
        print(f"idle, {args.idle:.0f} s: {await window(args.idle)}")
        print(f"others busy (50 writes/s elsewhere), {args.busy:.0f} s: ", end="", flush=True)
        print(await others_busy(other, args.busy))
        delays = await foreign_commits(db, args.samples)
        print(
            f"foreign commit to sent, {args.samples} samples: p50 {percentile(delays, 50):.3f} s, "
            f"max {max(delays):.3f} s"
        )
    finally:
        await relay.stop()
        await publisher.stop()
        await client.close()
        await other.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--idle", type=float, default=60.0, help="seconds idle")
    parser.add_argument("--busy", type=float, default=30.0, help="seconds of writes elsewhere")
    parser.add_argument("--samples", type=int, default=10, help="foreign commits timed")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="egov-outbox-idle-"))
    stack = devstack.start_stack(
        work / "stack", kafka_port=0, mongo_port=0, memory_db=True, log=lambda *_: None
    )
    try:
        devstack.ensure_topics(stack.env(), log=lambda *_: None)
        asyncio.run(measure(stack.env(), args))
    finally:
        devstack.stop_stack(work / "stack", log=lambda *_: None)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
