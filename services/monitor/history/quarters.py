"""Quarter rollups (grain ``q``, period ``2026-Q1``): a quarter by item reads a third of the
documents its months would. Each fact counts in its quarter as in its day and month (store.py
``increments``), so a history folded since its beginning with them holds every quarter whole.

A history folded before them does not: its quarters hold only what changed since. Queries
therefore read quarter rollups only from the quarter the history's marker names
(``history_meta``, ``_id`` "quarters", ``complete_from``) and read earlier quarters from their
months, which are always whole. The marker is written once, by the first feed that starts with
this code: from the first quarter if the history is empty, else from the quarter after the
latest day it holds (every fact of a later day is folded with its quarter). ``sum_quarters``
(`egov assess quarters`, with the live feeds stopped) sums every quarter from its months once
and moves the marker to the first quarter.
"""

from __future__ import annotations

from typing import Any

from pymongo import ReplaceOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from services.monitor.history.model import EVERY_QUARTER, next_quarter, quarter_of

MARKER = "quarters"
Col = AsyncCollection[dict[str, Any]]


async def complete_from(meta: Col) -> str | None:
    """The first quarter whose rollups are whole (None: read every quarter from its months)."""
    doc = await meta.find_one({"_id": MARKER})
    return None if doc is None else str(doc["complete_from"])


async def mark(meta: Col, rollups: Col) -> str:
    """Write the marker if there is none yet (the first feed to start wins); returns it."""
    latest = await rollups.find_one({"grain": "d"}, {"day": 1}, sort=[("day", -1)])
    first = EVERY_QUARTER if latest is None else next_quarter(quarter_of(str(latest["day"])))
    try:
        await meta.insert_one({"_id": MARKER, "complete_from": first})
    except DuplicateKeyError:
        pass
    found = await complete_from(meta)
    assert found is not None
    return found


async def sum_quarters(meta: Col, collections: list[tuple[Col, str]]) -> int:
    """Replace every quarter rollup by the sum of its months' (``collections``: each with the
    field its unit is named by); returns the quarter documents written. The feeds must be
    stopped: an increment between the read and the write would be lost."""
    written = 0
    for col, unit in collections:
        sums: dict[str, dict[str, Any]] = {}
        async for doc in col.find({"grain": "m"}):
            quarter = quarter_of(str(doc["day"]))
            key = "|".join(("q", quarter, doc["department"], doc["region"], doc[unit]))
            into = sums.setdefault(key, {"_id": key, "grain": "q", "day": quarter, "c": {}})
            into |= {"department": doc["department"], "region": doc["region"], unit: doc[unit]}
            for name, value in doc.get("c", {}).items():
                into["c"][name] = into["c"].get(name, 0) + value
        await col.delete_many({"grain": "q"})
        ops = [ReplaceOne({"_id": k}, d, upsert=True) for k, d in sums.items()]
        for i in range(0, len(ops), 1000):
            await col.bulk_write(ops[i : i + 1000], ordered=False)
        written += len(ops)
    await meta.replace_one({"_id": MARKER}, {"complete_from": EVERY_QUARTER}, upsert=True)
    return written
