"""The supervision history folded in memory: the rate at which the real projection and fold
(``fold.fold``: case documents, facts, rollup increments) absorb a city's events without a
database round trip a batch, the rollups kept in memory and written once at the end in bulk,
and what that rate makes of the issue's quarter (9 million cases).

Cases are generated in chunks (tests/support/history_scenario.py, ~11 events each) and each
chunk's events folded in batches of 500, carrying the chunk's case documents and facts from
batch to batch, as ``MongoHistory.apply`` does; a chunk's documents are dropped once folded
(its cases are finished), so memory holds one chunk and the rollups. Generating the events is
timed apart from folding them.

    .venv/bin/python -m bench.history_fold --cases 100000 [--write]

``--write``: the rollups written at the end into a private in-memory SecantusDB (or
``EGOV_MONGO_URI``) with ``insert_many``, timed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pymongo import AsyncMongoClient  # noqa: E402

from bench.history import start_secantus  # noqa: E402
from services.monitor.history.facts import Key  # noqa: E402
from services.monitor.history.fold import fold  # noqa: E402
from services.monitor.history.model import quarter_of  # noqa: E402
from services.monitor.history.store import ALL, MongoHistory  # noqa: E402
from shared.calendar import load_default_calendar  # noqa: E402
from tests.support.history_scenario import events, rows  # noqa: E402

CAL = load_default_calendar()
CITY_QUARTER = 9_000_000  # 100,000 cases a day for 90 days
Sums = dict[Key, dict[str, float]]


def add(into: Sums, deltas: Sums) -> None:
    for key, inc in deltas.items():
        row = into.setdefault(key, {})
        for name, value in inc.items():
            row[name] = row.get(name, 0.0) + value


def fold_in_memory(cases: int, chunk: int) -> tuple[int, float, float, Sums, Sums]:
    """Returns events folded, seconds generating, seconds folding, and the rollup sums by
    (day, department, region, item) and by (day, department, region, officer)."""
    rollups: Sums = {}
    officers: Sums = {}
    folded, generating, folding = 0, 0.0, 0.0
    for start in range(0, cases, chunk):
        began = time.perf_counter()
        scenario = rows(seed=start, n=min(chunk, cases - start), calendar=CAL, prefix=f"b{start}-")
        batch = [e for r in scenario for e in events(r, CAL)]
        generating += time.perf_counter() - began
        began = time.perf_counter()
        docs: dict[str, Any] = {}
        facts: dict[str, Any] = {}
        for i in range(0, len(batch), 500):
            out = fold(batch[i : i + 500], docs, facts, CAL)
            docs.update(out.docs)
            facts.update(out.facts)
            add(rollups, out.deltas)
            add(officers, out.officer_deltas)
        folding += time.perf_counter() - began
        folded += len(batch)
    return folded, generating, folding, rollups, officers


def documents(sums: Sums, dimension: str) -> list[dict[str, Any]]:
    """The rollup documents the store would hold for these sums (day, month and quarter; by
    item and over every item, or by officer)."""
    docs: dict[str, dict[str, Any]] = {}
    for (day, department, region, value), inc in sums.items():
        for grain, period in (("d", day), ("m", day[:7]), ("q", quarter_of(day))):
            for unit in (value, ALL) if dimension == "item_code" else (value,):
                key = "|".join((grain, period, department, region, unit))
                doc = docs.setdefault(key, {"_id": key, "grain": grain, "day": period, "c": {}})
                doc |= {"department": department, "region": region, dimension: unit}
                for name, v in inc.items():
                    doc["c"][name] = doc["c"].get(name, 0.0) + v
    return list(docs.values())


async def write(uri: str, rollups: Sums, officers: Sums) -> None:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(uri, tz_aware=True)
    try:
        history = MongoHistory(client["bench_history_bulk"])
        await history.drop()
        await history.start()
        began = time.perf_counter()
        written = 0
        for col, docs in (
            (history.rollups, documents(rollups, "item_code")),
            (history.officers, documents(officers, "officer")),
        ):
            for i in range(0, len(docs), 1000):
                await col.insert_many(docs[i : i + 1000], ordered=False)
            written += len(docs)
        print(f"rollups written in bulk: {written:,} documents in "
              f"{time.perf_counter() - began:.1f} s")  # fmt: skip
        await history.drop()
    finally:
        await client.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=100_000)
    ap.add_argument("--chunk", type=int, default=2_000)
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()
    n, generating, folding, rollups, officers = fold_in_memory(args.cases, args.chunk)
    rate = n / folding
    per_case = n / args.cases
    print(f"generated {n:,} events of {args.cases:,} cases in {generating:.1f} s")
    print(f"folded in memory in {folding:.1f} s: {rate:,.0f} events/s "
          f"({args.cases / folding:,.0f} cases/s); {len(rollups):,} rollup keys")  # fmt: skip
    projected = CITY_QUARTER * per_case / rate
    print(f"projected for {CITY_QUARTER:,} cases ({CITY_QUARTER * per_case:,.0f} events): "
          f"{projected / 60:,.0f} min of folding on one core")  # fmt: skip
    if args.write:
        uri, proc = os.environ.get("EGOV_MONGO_URI"), None
        if uri is None:
            uri, proc = start_secantus()
        try:
            asyncio.run(write(uri, rollups, officers))
        finally:
            if proc is not None:
                proc.terminate()
                proc.wait(timeout=10)


if __name__ == "__main__":
    main()
