"""The catalog in the history (intake's egov.catalog): the public statistics show, per region,
department and item, the items offered, fully online (全程网办) and zero-visit (零跑动), and
the assessment model can weigh those shares."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import pytest

from services.monitor.history import reports
from services.monitor.history.model import Indicator, Period, load_model
from shared.calendar import load_default_calendar
from shared.clock import SHANGHAI
from tests.support.history_scenario import ITEMS, UNITS, MemoryHistory, catalog_events, events
from tests.support.history_scenario import rows as scenario_rows
from tests.unit.monitor.test_history_api import Source, client

CAL = load_default_calendar()
ROWS = scenario_rows(seed=5, n=120, calendar=CAL)
MARCH = Period(
    label="2026-03", since=datetime(2026, 3, 1).date(), until=datetime(2026, 3, 31).date()
)


def seeded(*batches: list) -> MemoryHistory:  # type: ignore[type-arg]
    h = MemoryHistory()
    h.apply([e for row in ROWS for e in events(row, CAL)], CAL)
    for batch in batches:
        h.apply(batch, CAL)
    return h


OPEN = [(s, online, visits) for s, online, visits, status in ITEMS if status == "open"]


def expected(depts: int) -> tuple[int, int, int]:
    """Items offered, fully online, zero-visit of ``depts`` departments (independently)."""
    return (
        depts * len(OPEN),
        depts * sum(online for _, online, _ in OPEN),
        depts * sum(visits == 0 for _, _, visits in OPEN),
    )


def figures(unit: dict) -> tuple[int, int, int]:  # type: ignore[type-arg]
    return unit["items_offered"], unit["items_fully_online"], unit["items_zero_visit"]


async def test_public_statistics_show_the_items_online_and_zero_visit_per_unit() -> None:
    async with client(Source(seeded(catalog_events()))) as c:
        doc = (await c.get("/v1/public/statistics?period=2026-03")).json()
        chengdu = (await c.get("/v1/public/statistics?period=2026-03&region=510100")).json()
    assert figures(doc["totals"]) == expected(len(UNITS))
    items, online, zero = expected(len(UNITS))
    assert doc["totals"]["fully_online_share"] == pytest.approx(online / items)
    assert doc["totals"]["zero_visit_share"] == pytest.approx(zero / items)
    per_region = Counter(region for _, region in UNITS)
    assert {r["region"]: figures(r) for r in doc["by_region"]} == {
        region: expected(n) for region, n in per_region.items()
    }
    assert {d["department"]: figures(d) for d in doc["by_department"]} == {
        dept: expected(1) for dept, _ in UNITS
    }
    by_item = {i["item_code"]: i for i in doc["by_item_code"]}
    assert set(by_item) == {f"{d}-{s}" for d, _ in UNITS for s, _, _ in OPEN}  # not the closed
    idle = by_item["500000-GAJ-003"]  # offered, no case this month: listed all the same
    assert idle["cases_submitted"] == 0 and idle["fully_online_share"] == 1.0
    assert by_item["500000-GAJ-002"]["zero_visit_share"] == 0.0
    assert by_item["500000-GAJ-001"]["cases_submitted"] > 0
    assert doc["totals"]["cases_submitted"] == len(ROWS)  # the catalog adds no case
    assert [d["department"] for d in chengdu["by_department"]] == ["510100-SCJ"]
    assert figures(chengdu["totals"]) == expected(1)


async def test_without_the_catalog_the_shares_are_unknown_not_zero() -> None:
    async with client(Source(seeded())) as c:
        doc = (await c.get("/v1/public/statistics?period=2026-03")).json()
    assert doc["totals"]["items_offered"] == 0 and doc["totals"]["fully_online_share"] is None


async def test_the_newest_version_of_an_item_counts_whatever_order_it_comes_in() -> None:
    v2 = [e for e in catalog_events(version=2) if e.data["item_code"] == "500000-SCJ-002"]
    online = v2[0].model_copy(
        update={"data": {**v2[0].data, "fully_online": True, "visits_required": 0}}
    )
    for order in ([catalog_events(), [online]], [[online], catalog_events()]):
        history = seeded(*order)
        got = await reports.public_statistics(history, load_model(), MARCH, department="500000-SCJ")
        assert figures(got["totals"]) == (4, 3, 4), order


async def test_the_assessment_weighs_the_online_share_where_the_model_lists_it() -> None:
    model = load_model()
    weighed = model.model_copy(
        update={
            "indicators": (
                Indicator(id="fully_online_share", name="全程网办事项占比", weight=10, target=0.9),
            )
        }
    )
    at = datetime(2026, 4, 2, tzinfo=SHANGHAI)
    history = seeded(catalog_events())
    doc = await reports.assessment(history, weighed, MARCH, by="department", scope=None, at=at)
    share = sum(online for _, online, _ in OPEN) / len(OPEN)
    assert {u["unit"] for u in doc["units"]} == {d for d, _ in UNITS}  # units with cases only
    for unit in doc["units"]:
        assert unit["score"] == round(100 * share / 0.9, 2)
        assert unit["figures"]["catalog"]["items"] == len(OPEN)
    plain = await reports.assessment(history, model, MARCH, by="department", scope=None, at=at)
    without = await reports.assessment(seeded(), model, MARCH, by="department", scope=None, at=at)
    assert [u["score"] for u in plain["units"]] == [u["score"] for u in without["units"]]
