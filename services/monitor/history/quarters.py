"""Quarter and dekad rollups (grain ``q``, period ``2026-Q1``; grain ``x``, period
``2026-03-X2``, model.py): a quarter by item reads a third of the documents its months would,
and a period's edge days are read by dekad, at most nine of each dekad day by day. Each fact
counts in its quarter and dekad as in its day and month (store.py ``increments``), so a history
folded since its beginning with them holds every quarter and dekad whole.

A history folded before them does not: its quarters and dekads hold only what changed since.
Queries therefore read them only from the period its marker names (``history_meta``, ``_id``
"quarters" and "dekads", ``complete_from``) and read earlier quarters from their months and
earlier dekads from their days, which are always whole. Each marker is written once, by the
first feed that starts with the code that counts in it: from the first period if the history
is empty, else from the period after the latest day it holds (every fact of a later day is
folded with it). ``sum_quarters`` (`egov assess quarters`, with the live feeds stopped) sums
every quarter from its months and every dekad from its days once, and moves both markers to
the first period.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pymongo import ReplaceOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from services.monitor.history.model import (
    EVERY_DEKAD,
    EVERY_QUARTER,
    dekad_of,
    next_dekad,
    next_quarter,
    quarter_of,
)

MARKER = "quarters"
DEKADS = "dekads"
Col = AsyncCollection[dict[str, Any]]
# marker -> (the grain it is about, the period of a day, the period after, the first period,
# the grain that period is summed from)
GRAINS: dict[str, tuple[str, Callable[[str], str], Callable[[str], str], str, str]] = {
    MARKER: ("q", quarter_of, next_quarter, EVERY_QUARTER, "m"),
    DEKADS: ("x", dekad_of, next_dekad, EVERY_DEKAD, "d"),
}


async def complete_from(meta: Col) -> str | None:
    """The first quarter whose rollups are whole (None: read every quarter from its months)."""
    return (await markers(meta))[0]


async def markers(meta: Col) -> tuple[str | None, str | None]:
    """The first quarter and the first dekad whose rollups are whole (None: none is)."""
    found = {
        d["_id"]: str(d["complete_from"]) async for d in meta.find({"_id": {"$in": [*GRAINS]}})
    }
    return found.get(MARKER), found.get(DEKADS)


async def mark(meta: Col, rollups: Col) -> str:
    """Write each marker there is none of yet (the first feed to start wins); returns the
    quarter's."""
    latest = await rollups.find_one({"grain": "d"}, {"day": 1}, sort=[("day", -1)])
    for marker, (_, period_of, after, every, _) in GRAINS.items():
        first = every if latest is None else after(period_of(str(latest["day"])))
        try:
            await meta.insert_one({"_id": marker, "complete_from": first})
        except DuplicateKeyError:
            pass
    found = await complete_from(meta)
    assert found is not None
    return found


async def sum_quarters(meta: Col, collections: list[tuple[Col, str]]) -> int:
    """Replace every quarter rollup by the sum of its months' and every dekad rollup by the sum
    of its days' (``collections``: each with the field its unit is named by); returns the
    documents written. The feeds must be stopped: an increment between the read and the write
    would be lost."""
    written = 0
    for marker, (grain, period_of, _, every, source) in GRAINS.items():
        for col, unit in collections:
            written += await _sum(col, unit, grain, period_of, source)
        await meta.replace_one({"_id": marker}, {"complete_from": every}, upsert=True)
    return written


async def _sum(
    col: Col, unit: str, grain: str, period_of: Callable[[str], str], source: str
) -> int:
    sums: dict[str, dict[str, Any]] = {}
    async for doc in col.find({"grain": source}):
        period = period_of(str(doc["day"]))
        key = "|".join((grain, period, doc["department"], doc["region"], doc[unit]))
        into = sums.setdefault(key, {"_id": key, "grain": grain, "day": period, "c": {}})
        into |= {"department": doc["department"], "region": doc["region"], unit: doc[unit]}
        for name, value in doc.get("c", {}).items():
            into["c"][name] = into["c"].get(name, 0) + value
    await col.delete_many({"grain": grain})
    ops = [ReplaceOne({"_id": k}, d, upsert=True) for k, d in sums.items()]
    for i in range(0, len(ops), 1000):
        await col.bulk_write(ops[i : i + 1000], ordered=False)
    return len(ops)
