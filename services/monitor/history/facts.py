"""What a case document counts for, day by day: the facts the period rollups add up.

Pure. ``facts_of`` derives every fact of one case from its document (a fact has a stable id, a
day in Asia/Shanghai, the department, region and item it counts for, and its counters);
``rollup_deltas`` turns the difference between a case's old and new facts into increments of
the rollups, so the same event twice (no new fact) changes nothing, and a fact that moves (a
stage's deadline recomputed) is taken out where it was and added where it is now.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from typing import Any

from services.monitor.history.projection import Doc, due_at
from shared.calendar.timing import Calendar, measure, one_day
from shared.clock import SHANGHAI
from shared.contracts import Channel, RatingLevel, StageKind, SupervisionFinding

Fact = dict[str, Any]
Key = tuple[str, str, str, str]  # day, department, region, item_code

HANDLING = frozenset(
    {
        StageKind.PREREVIEW,
        StageKind.ACCEPT,
        StageKind.REVIEW,
        StageKind.DECIDE,
        StageKind.DELIVER,
        StageKind.VERIFICATION,
    }
)
CATEGORIES = ("stage", "promised", "statutory", "answer", "other")
DECISIONS = ("approved", "denied", "refused", "revoked", "prereview_failed", "lapsed")
RUNGS = range(1, 10)
FINDING_KINDS: tuple[str, ...] = SupervisionFinding.model_fields["kind"].annotation.__args__  # type: ignore[union-attr]


def category(kind: str) -> str:
    """Which clock a stage is: a handling stage, the case's promised or statutory limit, a
    department's answer in the 督办 register, or another supervised deadline."""
    if kind == StageKind.CASE_PROMISED:
        return "promised"
    if kind == StageKind.CASE_STATUTORY:
        return "statutory"
    if kind == StageKind.REGISTER_ANSWER:
        return "answer"
    return "stage" if kind in HANDLING else "other"


def _counter_names() -> tuple[str, ...]:
    names = ["submitted", "accepted", "decided", "ratings", "findings", "credit_incidents"]
    names += ["rect_opened", "rect_closed", "rect_on_time", "card_yellow", "card_red"]
    names += [f"channel_{c.value}" for c in Channel]
    names += [f"decision_{d}" for d in DECISIONS]
    names += [f"rating_{r.value}" for r in RatingLevel]
    names += [f"finding_{k}" for k in FINDING_KINDS]
    for cat in CATEGORIES:
        names += [f"{cat}_{m}" for m in ("closed", "on_time", "used_days", "limit_days")]
        names += [f"{cat}_warned", f"{cat}_overdue", *(f"{cat}_rung_{n}" for n in RUNGS)]
    return tuple(names)


COUNTERS = _counter_names()


def day_of(at: datetime) -> str:
    return at.astimezone(SHANGHAI).date().isoformat()


def stamp(at: datetime) -> str:
    """An instant written the same whichever offset it was read with (ids of facts)."""
    return at.astimezone(SHANGHAI).isoformat(timespec="milliseconds")


def _fact(fid: str, at: datetime, key: Doc, **counters: float) -> Fact:
    return {
        "_id": fid,
        "day": day_of(at),
        "department": key["department"],
        "region": key["region"],
        "item_code": key.get("item_code") or "-",
        "c": counters,
    }


def officer_of(stage: Doc) -> str | None:
    """Who a stage's figures count for: the officer who closed it, else who signed it in (签收),
    else whom it was assigned to."""
    found = stage.get("closed_by") or stage.get("signed_in_by") or stage.get("assignee")
    return str(found) if found else None


def limit_days(limit: Doc, calendar: Calendar) -> float:
    """A limit in days: working (or natural) days as stated, hours in days of office hours."""
    if limit["unit"] == "working_hours":
        return float(limit["value"]) / calendar.office_hours_per_day
    return float(limit["value"])


def stopped_spans(stage: Doc, closed_at: datetime) -> list[tuple[datetime, datetime]]:
    """Each suspension paired with the first resumption after it (the clock ran again at the
    resumption, or at the suspension's maximum if that came first); open until the close."""
    stops = sorted(stage.get("susp", []))
    resumes = sorted(stage.get("resumes", []))
    spans = []
    for i, start in enumerate(stops):
        later = stops[i + 1] if i + 1 < len(stops) else None
        ran = [r for r in resumes if r[0] >= start and (later is None or r[0] <= later)]
        end = ran[0][1] if ran else (closed_at if later is None else start)
        spans.append((start, min(end, closed_at)))
    return spans


def used_days(stage: Doc, calendar: Calendar) -> float:
    """Counted time from opening to close, stops excluded, in days of the limit's unit."""
    unit, opened, closed = stage["limit"]["unit"], stage["opened_at"], stage["closed_at"]
    counted = measure(unit, opened, closed, calendar)
    counted -= sum(measure(unit, a, b, calendar) for a, b in stopped_spans(stage, closed))
    return round(max(counted, 0.0) / one_day(unit, calendar), 4)


def on_time(stage: Doc) -> bool:
    due, closed = due_at(stage), stage["closed_at"]
    assert due is not None
    spans = stopped_spans(stage, closed)
    if spans and spans[-1][1] == closed and spans[-1][0] < closed:
        closed = spans[-1][0]  # closed while stopped: the clock stood still at the stop
    return bool(closed <= due)


def _stage_facts(case_id: str, stage: Doc, fallback: Doc | None, calendar: Calendar) -> list[Fact]:
    key = stage if "department" in stage else fallback
    if key is None or stage.get("parallel_parent") or "kind" not in stage:
        return []
    sid, cat = stage["id"], category(stage["kind"])
    out = []
    if cat == "promised" and "opened_at" in stage:
        out.append(_fact(f"{sid}|accepted", stage["opened_at"], key, accepted=1))
    complete = "opened_at" in stage and "closed_at" in stage and stage.get("dues")
    if complete and stage.get("outcome") != "cancelled":
        out.append(
            _fact(
                f"{sid}|closed",
                stage["closed_at"],
                key,
                **{
                    f"{cat}_closed": 1,
                    f"{cat}_on_time": int(on_time(stage)),
                    f"{cat}_used_days": used_days(stage, calendar),
                    f"{cat}_limit_days": limit_days(stage["limit"], calendar),
                },
            )
        )
    for light, at in stage.get("alerts", []):
        name = f"{cat}_warned" if light == "yellow" else f"{cat}_overdue"
        out.append(_fact(f"{sid}|{light}|{stamp(at)}", at, key, **{name: 1}))
    for rung in stage.get("rungs", []):
        counters = {f"{cat}_rung_{rung['n']}": 1}
        if rung["card"] != "none":
            counters[f"card_{rung['card']}"] = 1
        if rung.get("credit"):
            counters["credit_incidents"] = 1
        fid = f"{sid}|rung|{rung['n']}|{stamp(rung['at'])}"
        out.append(_fact(fid, rung["at"], key, **counters))
    if cat == "stage" and (officer := officer_of(stage)) is not None:
        for fact in out:  # handling stages only: an officer's own work, not the case's clocks
            fact["officer"] = officer
    return out


def facts_of(doc: Doc, calendar: Calendar) -> dict[str, Fact]:
    """Every fact of one case document, by id."""
    cid, case = doc["_id"], doc.get("case")
    out: list[Fact] = []
    if case is not None:
        channel = f"channel_{case['channel']}"
        out.append(
            _fact(f"{cid}|submitted", case["submitted_at"], case, submitted=1, **{channel: 1})
        )
    if (d := doc.get("decision")) is not None:
        out.append(
            _fact(f"{cid}|decided", d["at"], d, decided=1, **{f"decision_{d['decision']}": 1})
        )
    if (r := doc.get("rating")) is not None:
        out.append(_fact(f"{cid}|rated", r["at"], r, ratings=1, **{f"rating_{r['level']}": 1}))
    for rect in doc.get("rects", []):
        if "opened_at" not in rect:
            continue  # attributed once its opening is seen
        rid = rect["id"]
        out.append(_fact(f"{rid}|rect_opened", rect["opened_at"], rect, rect_opened=1))
        if "closed_at" in rect:
            late = rect["closed_at"] > due_at(rect)
            closed = {"rect_closed": 1, "rect_on_time": int(not late)}
            out.append(_fact(f"{rid}|rect_closed", rect["closed_at"], rect, **closed))
    for f in doc.get("findings", []):
        key = {**f, "item_code": f.get("item_code") or (case or {}).get("item_code")}
        out.append(
            _fact(f"finding|{f['id']}", f["at"], key, findings=1, **{f"finding_{f['kind']}": 1})
        )
    for stage in doc.get("stages", []):
        out.extend(_stage_facts(cid, stage, case, calendar))
    return {f["_id"]: f for f in out}


def fact_key(fact: Fact) -> Key:
    return (fact["day"], fact["department"], fact["region"], fact["item_code"])


def officer_key(fact: Fact) -> Key | None:
    """The officer rollup a fact counts in (the officer in the item's place), if any."""
    officer = fact.get("officer")
    return None if not officer else (fact["day"], fact["department"], fact["region"], officer)


def rollup_deltas(
    old: dict[str, Fact],
    new: dict[str, Fact],
    key: Callable[[Fact], Key | None] = fact_key,
) -> dict[Key, dict[str, float]]:
    """Increments that take the rollups from counting ``old`` to counting ``new`` (``key``:
    which rollup a fact counts in, None for none)."""
    deltas: dict[Key, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for fid in old.keys() | new.keys():
        before, after = old.get(fid), new.get(fid)
        was = None if before is None else key(before)
        now = None if after is None else key(after)
        if before is not None and after is not None and was == now:
            if before["c"] == after["c"]:
                continue
        if before is not None and was is not None:
            for name, value in before["c"].items():
                deltas[was][name] -= value
        if after is not None and now is not None:
            for name, value in after["c"].items():
                deltas[now][name] += value
    return {k: {n: v for n, v in d.items() if v} for k, d in deltas.items() if any(d.values())}


def rollup_id(key: tuple[str, ...]) -> str:
    return "|".join(key)
