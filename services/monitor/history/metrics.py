"""Prometheus series of the supervision history, for the assessment dashboard: the facts the
live feed folds, by department and region (never case, item or officer: the series stay
bounded), named as the rollups' counters. The history in MongoDB is the record; these count
what this worker folded since it started, for rates over hours and days."""

from __future__ import annotations

from collections import defaultdict

from prometheus_client import Counter

from services.monitor.history.facts import CATEGORIES, Key
from shared.contracts import Channel, RatingLevel

FACTS = Counter(
    "egov_history_facts_total",
    "Facts folded into the supervision history by the live feed, by department and region "
    "(the rollups' counters: submitted, stage_on_time, rating_satisfied, ...)",
    ["department", "region", "fact"],
)

# What the dashboard's indicators need; not the working days nor the rungs by clock.
EXPORTED = frozenset(
    [
        "submitted",
        "accepted",
        "decided",
        "decision_approved",
        "decision_denied",
        "ratings",
        "findings",
        "credit_incidents",
        "card_yellow",
        "card_red",
        "rect_opened",
        "rect_closed",
        "rect_on_time",
        *(f"channel_{c.value}" for c in Channel),
        *(f"rating_{r.value}" for r in RatingLevel),
        *(f"{cat}_{m}" for cat in CATEGORIES for m in ("closed", "on_time", "overdue")),
    ]
)


def count(deltas: dict[Key, dict[str, float]]) -> None:
    """A folded batch's rollup increments, summed over days and items. A fact that moved or
    went (a deadline recomputed after the close) is not taken back: a counter only grows."""
    summed: dict[tuple[str, str, str], float] = defaultdict(float)
    for (_day, department, region, _item), inc in deltas.items():
        for name, value in inc.items():
            if name in EXPORTED:
                summed[(department, region, name)] += value
    for (department, region, name), value in summed.items():
        if value > 0:
            FACTS.labels(department=department, region=region, fact=name).inc(value)
