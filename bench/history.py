"""The supervision history at scale: how fast the projection folds events into MongoDB, and how
long a quarter's period queries take over rollups of a city's shape.

1. ``--cases`` made-up cases (tests/support/history_scenario.py, ~11 events each) folded
   through ``MongoHistory.apply`` in batches of 500: events/s (and the pure fold alone).
2. Rollups of a quarter at city shape written directly as the store keeps them (daily, dekad,
   monthly and quarterly, by item and over every item; ``--days`` x ``--departments`` x ``--items`` items
   each x 2 regions, ~40 counters a daily document): the time of the assessment by department,
   by region and by item, and of the public statistics, over the whole quarter and over a
   period with edges (2026-01-10..2026-03-20), the latter from the dekad rollups and, on the
   same data, from the daily ones as before them (no dekad marker).

Against ``EGOV_MONGO_URI`` if set, else a private in-memory SecantusDB on a free port.

    .venv/bin/python -m bench.history [--cases 5000] [--days 90] [--departments 50] [--items 20]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pymongo import AsyncMongoClient, ReplaceOne  # noqa: E402

from dev.devstack import free_port  # noqa: E402
from services.monitor.history import reports  # noqa: E402
from services.monitor.history.facts import COUNTERS  # noqa: E402
from services.monitor.history.fold import fold  # noqa: E402
from services.monitor.history.model import (  # noqa: E402
    AssessmentModel,
    dekad_of,
    load_model,
    parse_period,
    quarter_of,
)
from services.monitor.history.store import ALL, MongoHistory  # noqa: E402
from shared.calendar import load_default_calendar  # noqa: E402
from tests.support.history_scenario import events, rows  # noqa: E402

CAL = load_default_calendar()


def start_secantus() -> tuple[str, subprocess.Popen[bytes]]:
    port = free_port()
    config = Path(tempfile.mkdtemp()) / "secantusd.toml"
    config.touch()
    binary = str(Path(sys.executable).parent / "secantusd-py")
    argv = [binary, "--config", str(config), "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen([*argv, "--storage-path", ":memory:"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip
    time.sleep(3)
    return f"mongodb://127.0.0.1:{port}/?directConnection=true", proc


async def fold_rate(history: MongoHistory, cases: int) -> None:
    scenario = rows(seed=1, n=cases, calendar=CAL)
    batch = [e for r in scenario for e in events(r, CAL)]
    started = time.perf_counter()
    docs: dict[str, object] = {}
    for i in range(0, len(batch), 500):
        docs.update(fold(batch[i : i + 500], docs, {}, CAL).docs)  # type: ignore[arg-type]
    pure = len(batch) / (time.perf_counter() - started)
    started = time.perf_counter()
    for i in range(0, len(batch), 500):
        await history.apply(batch[i : i + 500], CAL)
    took = time.perf_counter() - started
    print(f"fold: {len(batch):,} events of {cases:,} cases in {took:.1f} s: "
          f"{len(batch) / took:,.0f} events/s into MongoDB (pure fold {pure:,.0f}/s)")  # fmt: skip


async def city_quarter(history: MongoHistory, days: int, departments: int, items: int) -> None:
    """Rollups as the store keeps them: daily, dekad, monthly and quarterly, by item and over
    every item."""
    rnd = random.Random(21)
    first = date(2026, 1, 1)
    docs: dict[str, dict[str, object]] = {}

    def add(grain: str, period: str, dept: str, region: str, item: str, c: dict[str, int]) -> None:
        key = (grain, period, dept, region, item)
        doc = docs.setdefault(
            "|".join(key),
            {
                "_id": "|".join(key),
                "grain": grain,
                "day": period,
                "department": dept,
                "region": region,
                "item_code": item,
                "c": {},
            },  # fmt: skip
        )
        counters: dict[str, int] = doc["c"]  # type: ignore[assignment]
        for name, value in c.items():
            counters[name] = counters.get(name, 0) + value

    for d in range(days):
        day = (first + timedelta(days=d)).isoformat()
        for n in range(departments):
            for region in ("500000", "510100"):
                dept = f"{region}-D{n:03d}"
                for i in range(items):
                    c = {name: rnd.randint(0, 40) for name in rnd.sample(COUNTERS, 40)}
                    grains = (("d", day), ("x", dekad_of(day)), ("m", day[:7]))
                    for grain, period in (*grains, ("q", quarter_of(day))):
                        for item in (f"{dept}-{i:03d}", ALL):
                            add(grain, period, dept, region, item, c)
    # upserts, not inserts: a batch the driver retries after a timeout writes the same again
    ops = [ReplaceOne({"_id": doc["_id"]}, doc, upsert=True) for doc in docs.values()]
    started = time.perf_counter()
    for i in range(0, len(ops), 1000):
        await history.rollups.bulk_write(ops[i : i + 1000], ordered=False)
    print(f"rollups: {len(ops):,} documents written in {time.perf_counter() - started:.1f} s")
    model, quarter = load_model(), parse_period("2026-Q1")
    at = datetime(2026, 4, 1, tzinfo=UTC)
    for by in ("department", "region", "item_code"):
        started = time.perf_counter()
        doc = await reports.assessment(history, model, quarter, by=by, scope=None, at=at)
        took = time.perf_counter() - started
        print(f"quarter assessment by {by}: {took:.2f} s ({len(doc['units']):,} units)")
    await history.meta.delete_many({})  # no quarter marker: every quarter read from its months
    started = time.perf_counter()
    await reports.assessment(history, model, quarter, by="item_code", scope=None, at=at)
    print(f"  the same from the monthly rollups: {time.perf_counter() - started:.2f} s")
    await history.start()  # the marker again (the rollups were written whole)
    for marker, first in (("quarters", "0000-Q1"), ("dekads", "0000-01-X1")):  # written whole
        await history.meta.replace_one({"_id": marker}, {"complete_from": first}, upsert=True)
    started = time.perf_counter()
    await reports.assessment(history, model, quarter, by="department", scope="510100", at=at)
    print(f"quarter assessment by department, one region: {time.perf_counter() - started:.2f} s")
    started = time.perf_counter()
    await reports.public_statistics(history, model, quarter)
    print(f"quarter public statistics (three breakdowns): {time.perf_counter() - started:.2f} s")
    dims = ("region", "department", "item_code")
    started = time.perf_counter()
    for by in dims:  # as the statistics read them before: one read of the period each
        await history.totals(quarter.since, quarter.until, by=by)
    print(f"  its rollups read once per breakdown: {time.perf_counter() - started:.2f} s")
    started = time.perf_counter()
    await history.breakdowns(quarter.since, quarter.until, dims)
    print(f"  its rollups read once for the three: {time.perf_counter() - started:.2f} s")
    await edged(history, model, at)


async def edged(history: MongoHistory, model: AssessmentModel, at: datetime) -> None:
    """The period with edges from the dekad rollups, then from the daily ones alone (the dekad
    marker removed, as before dekads), then from the dekads again: before and after, same data."""
    edges = parse_period("2026-01-10..2026-03-20")
    for label in ("dekads", "days only (before)", "dekads again"):
        if label.startswith("days"):
            await history.meta.delete_one({"_id": "dekads"})
        elif label == "dekads again":
            await history.meta.insert_one({"_id": "dekads", "complete_from": "0000-01-X1"})
        for by in ("department", "item_code"):
            started = time.perf_counter()
            await reports.assessment(history, model, edges, by=by, scope=None, at=at)
            took = time.perf_counter() - started
            print(f"{edges.label} assessment by {by}, {label}: {took:.2f} s")


async def run(args: argparse.Namespace, uri: str) -> None:
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(uri, tz_aware=True)
    try:
        for name, part in (("bench_history_fold", "fold"), ("bench_history_city", "city")):
            history = MongoHistory(client[name])
            await history.drop()
            await history.start()  # empty: quarter rollups whole from the first
            if part == "fold" and args.cases:
                await fold_rate(history, args.cases)
            elif part == "city":
                await city_quarter(history, args.days, args.departments, args.items)
            await history.drop()
    finally:
        await client.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=5000)
    ap.add_argument("--days", type=int, default=90)
    ap.add_argument("--departments", type=int, default=50)
    ap.add_argument("--items", type=int, default=20)
    args = ap.parse_args()
    uri, proc = os.environ.get("EGOV_MONGO_URI"), None
    if uri is None:
        uri, proc = start_secantus()
    try:
        asyncio.run(run(args, uri))
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=10)


if __name__ == "__main__":
    main()
