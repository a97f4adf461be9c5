"""The firing path in-process (no broker, no faust loop): a burst of stages due at one instant
fired through ``on_timers`` a timer message (500 firings) at a time, the table a plain dict (the
memory store) or a real rocksdict database opened with the worker's options (the RocksDB store),
keys and values encoded as faust encodes them. Envelopes are serialised as the publisher does
(``to_json_bytes`` and headers) but not sent.

    .venv/bin/python -m bench.monitor_firing --stages 20000 [--profile 25]

Prints firings/s per store and, with ``--profile N``, the N functions with the most own time.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import pstats
import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import rocksdict

from services.monitor import handlers as h
from services.monitor.bootstrap import build_deps
from services.monitor.firing import FIRING_CHUNK, Firing, on_timers
from services.monitor.settings import MonitorSettings
from services.monitor.state_store import rocksdb_options
from services.monitor.store import TableCaseStore, TableStats
from services.monitor.timers import TimerWheel
from shared.calendar import Limit, load_default_calendar
from shared.clock import FixedClock
from shared.contracts import Envelope, StageOpened, kafka_headers, make_envelope

NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)


class RocksTable:
    """The part of a faust table the monitor's stores use, over one rocksdict database, with
    faust's encoding: JSON keys, raw bytes values (cases) or JSON values (stats)."""

    def __init__(self, path: str, *, raw_values: bool) -> None:
        o = rocksdb_options()
        opts = rocksdict.Options(raw_mode=True)
        opts.create_if_missing(True)
        opts.set_write_buffer_size(o["write_buffer_size"])
        opts.set_max_write_buffer_number(o["max_write_buffer_number"])
        table = rocksdict.BlockBasedOptions()
        table.set_bloom_filter(3, True)
        table.set_block_cache(rocksdict.Cache(o["block_cache_size"]))
        opts.set_block_based_table_factory(table)
        self.db = rocksdict.Rdict(path, options=opts)
        self.raw = raw_values

    def _v(self, value: Any) -> bytes:
        return value if self.raw else json.dumps(value).encode()

    def get(self, key: str, default: Any = None) -> Any:
        value = self.db.get(json.dumps(key).encode())
        if value is None:
            return default
        return value if self.raw else json.loads(value)

    def __setitem__(self, key: str, value: Any) -> None:
        self.db.put(json.dumps(key).encode(), self._v(value))

    def __contains__(self, key: str) -> bool:
        return self.db.get(json.dumps(key).encode()) is not None

    def __delitem__(self, key: str) -> None:
        self.db.delete(json.dumps(key).encode())

    def values(self) -> Iterator[Any]:
        for _, value in self.db.items():
            yield value if self.raw else json.loads(value)

    def items(self) -> Iterator[tuple[str, Any]]:
        for key, value in self.db.items():
            yield json.loads(key), value if self.raw else json.loads(value)

    def close(self) -> None:
        self.db.close()


class Serialising:
    """The publisher's work per envelope without the network."""

    def __init__(self) -> None:
        self.sent = 0

    async def publish(self, envelopes: Sequence[Envelope]) -> None:
        for env in envelopes:
            env.subject.encode()
            env.to_json_bytes()
            kafka_headers()
        self.sent += len(envelopes)


def opened(i: int, due: datetime) -> tuple[Envelope, StageOpened]:
    data = StageOpened(
        case_id=f"C{i:08d}",
        stage_id=f"S{i:08d}",
        stage="review",
        name="review",  # type: ignore[arg-type]
        item_code="ITEM",
        department="DEPT",
        region="500000",
        assignee="o",
        opened_at=NOW,
        due_at=due,
        limit=Limit(value=10),
    )
    return make_envelope(data, source="/b", time=NOW), data


async def burst(store: str, n: int, profile: int) -> dict[str, Any]:
    tmp = tempfile.mkdtemp(prefix="egov-firing-")
    cases: Any = {} if store == "memory" else RocksTable(f"{tmp}/cases", raw_values=True)
    stats: Any = {} if store == "memory" else RocksTable(f"{tmp}/stats", raw_values=False)
    wheel = TimerWheel(FixedClock(NOW))
    wheel.assign(range(6), [])
    publisher = Serialising()
    deps = build_deps(
        MonitorSettings(),
        store=TableCaseStore(cases, lazy=store != "memory"),
        stats=TableStats(stats),
        publisher=publisher,
        scheduler=wheel,
        calendar=load_default_calendar(),
    )
    due = NOW + timedelta(seconds=1)
    for i in range(n):
        env, data = opened(i, due)
        await h.on_stage_opened(deps.arrived(h.Incoming(i % 6, NOW, NOW)), env, data)
    popped = wheel.pop_due(due.timestamp())
    by_partition: dict[int, list[Firing]] = {}
    for p, case_id, stage_id, ts in popped:
        by_partition.setdefault(p, []).append(Firing(case_id, stage_id, ts))
    after = due + timedelta(seconds=1)
    batches = [
        (p, fs[i : i + FIRING_CHUNK])
        for p, fs in by_partition.items()
        for i in range(0, len(fs), FIRING_CHUNK)
    ]

    async def reject(firing: Firing, exc: Exception) -> None:
        raise exc

    prof = cProfile.Profile() if profile else None
    t0 = time.perf_counter()
    if prof:
        prof.enable()
    for p, firings in batches:
        await on_timers(deps.arrived(h.Incoming(p, after, after)), firings, reject)
    if prof:
        prof.disable()
    took = time.perf_counter() - t0
    result: dict[str, Any] = {
        "store": store,
        "firings": len(popped),
        "events": publisher.sent,
        "firings_per_s": round(len(popped) / took),
        "us_per_firing": round(took / max(len(popped), 1) * 1e6, 1),
    }
    if prof:
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(profile)
        result["profile"] = out.getvalue()
    if store != "memory":
        cases.close()
        stats.close()
    shutil.rmtree(tmp, ignore_errors=True)
    return result


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--stages", type=int, default=20_000)
    ap.add_argument("--profile", type=int, default=0, help="print the N costliest functions")
    args = ap.parse_args()
    for store in ("memory", "rocksdb"):
        result = await burst(store, args.stages, args.profile)
        text = result.pop("profile", None)
        print(json.dumps(result), flush=True)
        if text:
            print(text, flush=True)


if __name__ == "__main__":
    asyncio.run(main())
