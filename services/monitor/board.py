"""The light board: a pure view over the case records and the closed-stage aggregates.

The scan reads each stage's JSON fields (``StageDoc``) rather than building the model: a
million stages must stay cheap to count. The case view builds the models.

Each worker owns some partitions of the case table. It condenses each partition into a *part*
(``aggregate``: counts per department, region and item, the overdue stages, the closed-stage
aggregates), which it publishes to MongoDB every refresh (``snapshots.py``); the board merges
the parts of every partition (``merge``), so it shows the whole platform whichever worker
answers. A part is JSON: what one partition holds at one instant.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from services.monitor.domain import Light, Status, worst
from services.monitor.ports import CaseRecord, StageDoc, StatsRow
from shared.calendar.timing import light_of

OVERDUE_LIST_LIMIT = 500
LIGHTS = (Light.GREEN.value, Light.YELLOW.value, Light.RED.value)
CASE_LIMITS = ("case_promised", "case_statutory")
STAT_FIELDS = ("closed", "on_time", "handling_days", "ratings", "satisfied")
Part = dict[str, Any]


def _matches(row: dict[str, Any], filters: dict[str, str | None]) -> bool:
    return all(v is None or row.get(k) == v for k, v in filters.items())


def raw_light(raw: StageDoc, now: datetime) -> str:
    """The shared light rule on a stored stage's fields, without building the model (a scan of
    a million stages must stay cheap): the same answer as ``StageState.light``."""
    stopped = raw.get("suspended_at") if raw.get("status") == "suspended" else None
    return light_of(
        now=now,
        due_at=datetime.fromisoformat(raw["due_at"]),
        warn_at=datetime.fromisoformat(raw["warn_at"]),
        stopped_at=datetime.fromisoformat(stopped) if stopped else None,
        red="red_at" in raw,
        yellow="yellow_at" in raw,
    ).value


class Accumulator:
    """Condenses the records of one partition, one at a time (the caller may yield between)."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.rows: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.overdue: list[dict[str, Any]] = []

    def add(self, rec: CaseRecord) -> None:
        for raw in rec.stages.values():
            if raw.get("status", "open") == Status.CLOSED.value or raw.get("parallel_parent"):
                continue  # a parallel stage counts through its sub-tasks, one per department
            key = (raw.get("department", ""), raw.get("region", ""), raw.get("item_code", ""))
            row = self.rows.setdefault(
                key, {"department": key[0], "region": key[1], "item_code": key[2]}
            )
            light = raw_light(raw, self.now)
            if raw.get("case_clock"):
                name = f"{raw.get('stage')}_{light}"
                row[name] = row.get(name, 0) + 1
                continue
            _bump(row, light)
            _bump(row, "suspended", raw.get("status") == Status.SUSPENDED.value)
            _bump(row, "provisional", bool(raw.get("due_provisional")))
            if raw.get("kind") == "rectification":
                _bump(row, "rect_open")
                _bump(row, "rect_overdue", light == Light.RED.value)
            if light == Light.RED.value:
                self.overdue.append(_overdue_entry(rec, raw))

    def part(self, stats: Iterable[StatsRow]) -> Part:
        # the most overdue of each partition: the board lists the most overdue of all of them
        self.overdue.sort(key=lambda o: datetime.fromisoformat(o["due_at"]))
        return {
            "rows": list(self.rows.values()),
            "overdue": self.overdue[:OVERDUE_LIST_LIMIT],
            "stats": [row.view() for row in stats],
        }


def _bump(row: dict[str, Any], name: str, by: bool | int = 1) -> None:
    row[name] = row.get(name, 0) + int(by)


def _overdue_entry(rec: CaseRecord, raw: StageDoc) -> dict[str, Any]:
    return {
        "case_id": raw.get("case_id", rec.case_id),
        "stage_id": raw.get("stage_id"),
        "stage": raw.get("stage"),
        "department": raw.get("department"),
        "item_code": raw.get("item_code", ""),
        "region": raw.get("region"),
        "assignee": raw.get("assignee"),
        "due_at": raw["due_at"],
        "due_provisional": bool(raw.get("due_provisional")),
        "rung": raw.get("rung", 0),
        "status": raw.get("status", Status.OPEN.value),
    }


def aggregate(records: Iterable[CaseRecord], stats: Iterable[StatsRow], now: datetime) -> Part:
    """One partition (or any set of records) condensed for the board."""
    acc = Accumulator(now)
    for rec in records:
        acc.add(rec)
    return acc.part(stats)


def merge(
    parts: Iterable[Part],
    now: datetime,
    *,
    department: str | None = None,
    region: str | None = None,
    item: str | None = None,
) -> dict[str, Any]:
    """The board over every part, filtered by department, region and item."""
    filters = {"department": department, "region": region, "item_code": item}
    counts = dict.fromkeys(LIGHTS, 0)
    case_limits = {kind: dict.fromkeys(LIGHTS, 0) for kind in CASE_LIMITS}
    sums = {"suspended": 0, "provisional": 0, "rect_open": 0, "rect_overdue": 0}
    overdue: list[dict[str, Any]] = []
    totals = dict.fromkeys(STAT_FIELDS, 0.0)
    for part in parts:
        for row in part["rows"]:
            if not _matches(row, filters):
                continue
            for light in LIGHTS:
                counts[light] += row.get(light, 0)
                for kind in CASE_LIMITS:
                    case_limits[kind][light] += row.get(f"{kind}_{light}", 0)
            for name in sums:
                sums[name] += row.get(name, 0)
        overdue.extend(o for o in part["overdue"] if _matches(o, filters))
        for row in part["stats"]:
            if _matches(row, filters):
                for name in STAT_FIELDS:
                    totals[name] += float(row.get(name, 0))
    for o in overdue:
        o["past_due_s"] = max(0.0, (now - datetime.fromisoformat(o["due_at"])).total_seconds())
    overdue.sort(key=lambda o: o["past_due_s"], reverse=True)
    closed, ratings = totals["closed"], totals["ratings"]
    return {
        "at": now.isoformat(),
        "filters": {k: v for k, v in filters.items() if v is not None},
        "counts": counts,
        "open": sum(counts.values()),
        "suspended": sums["suspended"],
        "provisional_deadlines": sums["provisional"],
        "case_limits": case_limits,
        "rectifications": {"open": sums["rect_open"], "overdue": sums["rect_overdue"]},
        "overdue": overdue[:OVERDUE_LIST_LIMIT],
        "overdue_total": counts[Light.RED.value],
        "closed": int(closed),
        "on_time_rate": totals["on_time"] / closed if closed else None,
        "average_handling_working_days": totals["handling_days"] / closed if closed else None,
        "ratings": int(ratings),
        "satisfaction_rate": totals["satisfied"] / ratings if ratings else None,
    }


def build_board(
    records: Iterable[CaseRecord],
    stats: Iterable[StatsRow],
    now: datetime,
    *,
    department: str | None = None,
    region: str | None = None,
    item: str | None = None,
) -> dict[str, Any]:
    """The board over these records alone (one worker's, or a test's)."""
    part = aggregate(records, stats, now)
    return merge([part], now, department=department, region=region, item=item)


def case_view(record: CaseRecord | None, now: datetime) -> dict[str, Any] | None:
    if record is None:
        return None
    parsed = record.states()
    lights = {s.stage_id: s.light(now) for s in parsed}
    stages = []
    for stage in parsed:
        view = stage.model_dump(mode="json")
        light = lights[stage.stage_id]
        if stage.parallel_parent and stage.status is not Status.CLOSED:
            light = worst(
                [
                    lights[s.stage_id]
                    for s in parsed
                    if s.parent_stage_id == stage.stage_id and s.status is not Status.CLOSED
                ]
            )
        view["light"] = light.value
        stages.append(view)
    stages.sort(key=lambda s: s["opened_at"])
    return {"case_id": record.case_id, "decided": record.decided, "stages": stages}
