"""A bundle's one rating (一件事, docs/bundles.md) counts once in the supervision history: one
rating of the lead department under the bundle code, naming the items' departments in the
public column; its cases add none. The events are the ones intake publishes on its fakes."""

from __future__ import annotations

from services.monitor.history.fold import fold
from services.monitor.history.ratings import published
from shared.calendar import load_default_calendar
from tests.unit.intake.intake_fakes import Wiring
from tests.unit.intake.test_intake_bundle_rating import DEPARTMENTS, finished, rate


async def test_a_rated_bundle_counts_one_rating_of_its_lead_department() -> None:
    w = Wiring()
    body = await finished(w)
    code = {"X-Verification-Code": body["verification_code"]}
    assert (await rate(w, body, {"level": "dissatisfied"}, **code)).status_code == 201
    folded = fold(w.store.events, {}, {}, load_default_calendar())
    rated = {k: v for k, v in folded.deltas.items() if v.get("ratings")}
    assert [(k[1], k[3], v["ratings"]) for k, v in rated.items()] == [
        ("500000-SCJ", "500000-YJS-001", 1)
    ]
    assert sum(v.get("rect_opened", 0) for v in folded.deltas.values()) == 1
    column = [published(d) for d in folded.docs.values() if "rating" in d]
    assert len(column) == 1 and column[0]["departments"] == DEPARTMENTS
    assert column[0]["item_code"] == "500000-YJS-001" and "rectification" in column[0]
