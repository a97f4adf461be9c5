"""The light board: a pure view over the case records and the closed-stage aggregates."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from services.monitor.domain import Light, StageState, Status, worst

OVERDUE_LIST_LIMIT = 500


def _matches(row: dict[str, Any], filters: dict[str, str | None]) -> bool:
    return all(v is None or row.get(k) == v for k, v in filters.items())


def build_board(
    records: Iterable[dict[str, Any]],
    stats: Iterable[dict[str, Any]],
    now: datetime,
    *,
    department: str | None = None,
    region: str | None = None,
    item: str | None = None,
) -> dict[str, Any]:
    filters = {"department": department, "region": region, "item_code": item}
    counts = {Light.GREEN.value: 0, Light.YELLOW.value: 0, Light.RED.value: 0}
    suspended = provisional = 0
    rect_open = rect_overdue = 0
    case_limits = {
        kind: {Light.GREEN.value: 0, Light.YELLOW.value: 0, Light.RED.value: 0}
        for kind in ("case_promised", "case_statutory")
    }
    overdue: list[dict[str, Any]] = []
    for rec in records:
        for raw in rec["stages"].values():
            if raw.get("status", "open") == Status.CLOSED.value or not _matches(raw, filters):
                continue
            if raw.get("parallel_parent"):
                continue  # counted through its sub-tasks, one per department
            stage = StageState.model_validate(raw)
            if stage.case_clock:
                case_limits[stage.stage][stage.light(now).value] += 1
                continue
            light = stage.light(now)
            counts[light.value] += 1
            suspended += stage.status is Status.SUSPENDED
            provisional += stage.due_provisional
            if stage.kind == "rectification":
                rect_open += 1
                rect_overdue += light is Light.RED
            if light is Light.RED:
                overdue.append(
                    {
                        "case_id": stage.case_id,
                        "stage_id": stage.stage_id,
                        "stage": stage.stage,
                        "department": stage.department,
                        "item_code": stage.item_code,
                        "region": stage.region,
                        "assignee": stage.assignee,
                        "due_at": stage.due_at.isoformat(),
                        "due_provisional": stage.due_provisional,
                        "past_due_s": max(0.0, (now - stage.due_at).total_seconds()),
                        "rung": stage.rung,
                        "status": stage.status.value,
                    }
                )
    overdue.sort(key=lambda o: o["past_due_s"], reverse=True)
    totals: dict[str, float] = {}
    for row in stats:
        if _matches(row, filters):
            for k in ("closed", "on_time", "handling_days", "ratings", "satisfied"):
                totals[k] = totals.get(k, 0) + float(row.get(k, 0))
    closed, ratings = totals.get("closed", 0), totals.get("ratings", 0)
    return {
        "at": now.isoformat(),
        "filters": {k: v for k, v in filters.items() if v is not None},
        "counts": counts,
        "open": sum(counts.values()),
        "suspended": suspended,
        "provisional_deadlines": provisional,
        "case_limits": case_limits,
        "rectifications": {"open": rect_open, "overdue": rect_overdue},
        "overdue": overdue[:OVERDUE_LIST_LIMIT],
        "overdue_total": len(overdue),
        "closed": int(closed),
        "on_time_rate": totals.get("on_time", 0) / closed if closed else None,
        "average_handling_working_days": totals.get("handling_days", 0) / closed
        if closed
        else None,
        "ratings": int(ratings),
        "satisfaction_rate": totals.get("satisfied", 0) / ratings if ratings else None,
    }


def case_view(record: dict[str, Any] | None, now: datetime) -> dict[str, Any] | None:
    if record is None:
        return None
    parsed = [StageState.model_validate(raw) for raw in record["stages"].values()]
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
    return {"case_id": record["case_id"], "decided": bool(record.get("decided")), "stages": stages}
