"""Public statistics (no login): the UK service standard's four figures and, per region,
department and item, what the public reports of the reform show. Pure; built from rollup sums
only, which hold counts and times, never a person (a test scans every answer for identifiers).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.monitor.history.assess import Counters, add, figures, ratio
from services.monitor.history.model import AssessmentModel, Period
from shared.contracts import RatingLevel


def cost_per_transaction(c: Counters, model: AssessmentModel) -> float | None:
    """Average cost of a case over the channels whose cost is configured (None if none is)."""
    costs = model.cost_per_transaction
    cases = sum(float(c.get(f"channel_{ch}", 0)) for ch in costs)
    spent = sum(cost * float(c.get(f"channel_{ch}", 0)) for ch, cost in costs.items())
    return None if not costs else ratio(spent, cases)


def service_standard(c: Counters, model: AssessmentModel) -> dict[str, float | None]:
    """GOV.UK service standard: digital take-up, completion rate, user satisfaction, cost per
    transaction (docs/assessment.md says how each maps onto the platform's events)."""
    ind = figures(c, model)["indicators"]
    return {
        "digital_take_up": ind["digital_take_up"],
        "completion_rate": ind["completion_rate"],
        "user_satisfaction": ind["satisfaction_rate"],
        "cost_per_transaction": cost_per_transaction(c, model),
    }


def unit_statistics(c: Counters, model: AssessmentModel) -> dict[str, Any]:
    f = figures(c, model)
    days, ind = f["working_days"], f["indicators"]
    promised, statutory = days["promised_limit_average"], days["statutory_limit_average"]
    compression = None if not promised or not statutory else 1 - promised / statutory
    levels = f["ratings"]["by_level"]
    rect = f["rectifications"]
    return {
        "cases_submitted": f["cases"]["submitted"],
        "cases_handled": f["cases"]["decided"],
        "on_time_rate": ind["case_on_time_rate"],
        "stage_on_time_rate": ind["stage_on_time_rate"],
        "statutory_on_time_rate": ind["statutory_on_time_rate"],
        "average_working_days": days["case_average"],
        "average_promised_limit_days": promised,
        "average_statutory_limit_days": statutory,
        "promised_limit_compression": compression,
        "satisfaction": {level.value: levels.get(level.value, 0) for level in RatingLevel},
        "satisfaction_rate": ind["satisfaction_rate"],
        "rectification_rate": ratio(rect["closed"], rect["opened"]),
        "items_offered": f["catalog"]["items"],
        "items_fully_online": f["catalog"]["fully_online"],
        "items_zero_visit": f["catalog"]["zero_visit"],
        "fully_online_share": ind["fully_online_share"],
        "zero_visit_share": ind["zero_visit_share"],
        **service_standard(c, model),
    }


def statistics(
    by: Mapping[str, Mapping[str, Counters]], model: AssessmentModel, period: Period
) -> dict[str, Any]:
    """``by`` maps each breakdown (region, department, item_code) to its units' counters."""
    any_breakdown = next(iter(by.values()), {})
    total = add(list(any_breakdown.values()))
    return {
        "period": {"label": period.label, "from": period.since, "to": period.until},
        "service_standard": service_standard(total, model),
        "totals": unit_statistics(total, model),
        **{
            f"by_{name}": [
                {name: unit, **unit_statistics(c, model)} for unit, c in sorted(units.items())
            ]
            for name, units in by.items()
        },
    }
