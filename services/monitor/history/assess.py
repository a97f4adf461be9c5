"""Department assessment (绩效考核) computed from a period's rollup sums. Pure functions.

``figures`` turns one unit's counters into the numbers a reader wants (rates, averages, counts
by rung); ``score`` weighs the model's indicators; ``assess`` ranks the units of a period.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from services.monitor.history.facts import CATEGORIES, DECISIONS, RUNGS
from services.monitor.history.model import AssessmentModel, Indicator
from shared.contracts import RatingLevel

Counters = Mapping[str, float]


def ratio(num: float, den: float) -> float | None:
    """None when there is nothing to divide by: no data is not a score of zero."""
    return None if not den else num / den


def per_100(num: float, den: float) -> float | None:
    value = ratio(num, den)
    return None if value is None else 100 * value


def _g(c: Counters, name: str) -> float:
    return float(c.get(name, 0))


def carded(c: Counters) -> float:
    return sum(_g(c, f"{cat}_rung_{n}") for cat in CATEGORIES for n in RUNGS if n >= 2)


def satisfied(c: Counters, model: AssessmentModel) -> float:
    return sum(_g(c, f"rating_{level}") for level in model.satisfied_levels)


INDICATORS: dict[str, Callable[[Counters, AssessmentModel], float | None]] = {
    "stage_on_time_rate": lambda c, m: ratio(_g(c, "stage_on_time"), _g(c, "stage_closed")),
    "case_on_time_rate": lambda c, m: ratio(_g(c, "promised_on_time"), _g(c, "promised_closed")),
    "statutory_on_time_rate": lambda c, m: ratio(
        _g(c, "statutory_on_time"), _g(c, "statutory_closed")
    ),
    "promised_time_used": lambda c, m: ratio(
        _g(c, "promised_used_days"), _g(c, "promised_limit_days")
    ),
    "statutory_time_used": lambda c, m: ratio(
        _g(c, "statutory_used_days"), _g(c, "statutory_limit_days")
    ),
    "overdue_per_100": lambda c, m: per_100(_g(c, "stage_overdue"), _g(c, "stage_closed")),
    "carded_per_100": lambda c, m: per_100(carded(c), _g(c, "accepted")),
    "findings_per_100": lambda c, m: per_100(_g(c, "findings"), _g(c, "accepted")),
    "answers_on_time_rate": lambda c, m: ratio(_g(c, "answer_on_time"), _g(c, "answer_closed")),
    "satisfaction_rate": lambda c, m: ratio(satisfied(c, m), _g(c, "ratings")),
    "rectification_on_time_rate": lambda c, m: ratio(_g(c, "rect_on_time"), _g(c, "rect_closed")),
    "credit_incidents": lambda c, m: _g(c, "credit_incidents"),
    "digital_take_up": lambda c, m: ratio(
        sum(_g(c, f"channel_{ch}") for ch in m.digital_channels), _g(c, "submitted")
    ),
    "completion_rate": lambda c, m: ratio(
        sum(_g(c, f"decision_{d}") for d in m.completed_decisions), _g(c, "decided")
    ),
    # of the unit's items offered now (the catalog, catalog.py), not of a period's cases
    "fully_online_share": lambda c, m: ratio(_g(c, "items_fully_online"), _g(c, "items")),
    "zero_visit_share": lambda c, m: ratio(_g(c, "items_zero_visit"), _g(c, "items")),
}


def _avg(c: Counters, total: str, count: str) -> float | None:
    return ratio(_g(c, total), _g(c, count))


def figures(c: Counters, model: AssessmentModel) -> dict[str, Any]:
    """Everything the bulletin and the statistics show about one unit for a period."""
    return {
        "cases": {
            "submitted": int(_g(c, "submitted")),
            "accepted": int(_g(c, "accepted")),
            "decided": int(_g(c, "decided")),
            "by_decision": {
                d: int(_g(c, f"decision_{d}")) for d in DECISIONS if c.get(f"decision_{d}")
            },
        },
        "indicators": {name: fn(c, model) for name, fn in INDICATORS.items()},
        "working_days": {
            "stage_average": _avg(c, "stage_used_days", "stage_closed"),
            "stage_limit_average": _avg(c, "stage_limit_days", "stage_closed"),
            "case_average": _avg(c, "promised_used_days", "promised_closed"),
            "promised_limit_average": _avg(c, "promised_limit_days", "promised_closed"),
            "statutory_limit_average": _avg(c, "statutory_limit_days", "statutory_closed"),
        },
        "supervision": {
            "warned": int(sum(_g(c, f"{cat}_warned") for cat in CATEGORIES)),
            "overdue": int(sum(_g(c, f"{cat}_overdue") for cat in CATEGORIES)),
            "escalations_by_rung": {
                str(n): int(v)
                for n in RUNGS
                if (v := sum(_g(c, f"{cat}_rung_{n}") for cat in CATEGORIES))
            },
            "cards": {"yellow": int(_g(c, "card_yellow")), "red": int(_g(c, "card_red"))},
            "findings": int(_g(c, "findings")),
            "credit_incidents": int(_g(c, "credit_incidents")),
        },
        "ratings": {
            "total": int(_g(c, "ratings")),
            "by_level": {
                r.value: int(_g(c, f"rating_{r.value}"))
                for r in RatingLevel
                if c.get(f"rating_{r.value}")
            },
        },
        "catalog": {
            "items": int(_g(c, "items")),
            "fully_online": int(_g(c, "items_fully_online")),
            "zero_visit": int(_g(c, "items_zero_visit")),
        },
        "rectifications": {
            "opened": int(_g(c, "rect_opened")),
            "closed": int(_g(c, "rect_closed")),
            "closed_on_time": int(_g(c, "rect_on_time")),
        },
    }


def attainment(indicator: Indicator, value: float) -> float:
    """The share of the indicator's weight ``value`` earns (0..1)."""
    if indicator.better == "higher":
        return 1.0 if value >= indicator.target else (value / indicator.target)
    if value <= indicator.target:
        return 1.0
    span = indicator.span or indicator.target or 1.0
    return max(0.0, 1.0 - (value - indicator.target) / span)


def score(c: Counters, model: AssessmentModel) -> dict[str, Any]:
    """Points per indicator and the total out of 100, over the indicators with data."""
    rows, earned, weights = [], 0.0, 0.0
    for ind in model.indicators:
        value = INDICATORS[ind.id](c, model)
        row: dict[str, Any] = {"id": ind.id, "name": ind.name, "value": value}
        row |= {"target": ind.target, "better": ind.better, "weight": ind.weight}
        if value is not None:
            row["attainment"] = attainment(ind, value)
            earned += ind.weight * row["attainment"]
            weights += ind.weight
        rows.append(row)
    total = None if not weights else round(100 * earned / weights, 2)
    for row in rows:
        if "attainment" in row and weights:
            row["points"] = round(100 * row["weight"] * row["attainment"] / weights, 2)
    return {"score": total, "indicators": rows}


def assess(units: Mapping[str, Counters], model: AssessmentModel) -> list[dict[str, Any]]:
    """Every unit's score and figures, ranked: highest score first, equal scores share a rank
    (1, 2, 2, 4); a unit below ``min_accepted`` accepted cases, or without any indicator, is
    listed unranked after the others."""
    rows = []
    for unit, c in units.items():
        scored = score(c, model)
        ranked = scored["score"] is not None and _g(c, "accepted") >= model.min_accepted
        rows.append({"unit": unit, **scored, "ranked": ranked, "figures": figures(c, model)})
    rows.sort(key=lambda r: (not r["ranked"], -(r["score"] or 0), r["unit"]))
    previous, rank = None, 0
    for i, row in enumerate(rows, 1):
        if not row["ranked"]:
            row["rank"] = None
            continue
        if row["score"] != previous:
            rank, previous = i, row["score"]
        row["rank"] = rank
    return rows


def add(counters: list[Counters]) -> dict[str, float]:
    out: dict[str, float] = {}
    for c in counters:
        for name, value in c.items():
            out[name] = out.get(name, 0) + value
    return out
