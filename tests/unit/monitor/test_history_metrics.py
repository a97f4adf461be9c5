"""The assessment dashboard's series: what the live feed folds, counted by department and
region only, equal to what the rollups hold for the same events."""

from __future__ import annotations

from typing import Any

from prometheus_client import REGISTRY

from services.monitor.history.fold import fold
from services.monitor.history.metrics import EXPORTED, FACTS, count
from shared.calendar import load_default_calendar
from tests.support.history_scenario import MemoryHistory, events, rows

CAL = load_default_calendar()


def sample(department: str, region: str, fact: str) -> float:
    labels = {"department": department, "region": region, "fact": fact}
    return REGISTRY.get_sample_value("egov_history_facts_total", labels) or 0.0


async def test_the_counters_equal_the_rollups_by_department_and_region() -> None:
    batch = [e for row in rows(seed=11, n=60, calendar=CAL) for e in events(row, CAL)]
    memory = MemoryHistory()
    memory.apply(batch, CAL)
    expected: dict[tuple[str, str, str], float] = {}
    for (_day, department, region, _item), c in memory.rollups.items():
        for name, value in c.items():
            if name in EXPORTED:
                key = (department, region, name)
                expected[key] = expected.get(key, 0) + value
    before = {key: sample(*key) for key in expected}
    docs: dict[str, Any] = {}
    facts: dict[str, Any] = {}
    for i in range(0, len(batch), 97):  # in batches, as the feed reads them
        folded = fold(batch[i : i + 97], docs, facts, CAL)
        docs.update(folded.docs)
        facts.update(folded.facts)
        count(folded.deltas)
    assert {"submitted", "ratings", "stage_closed"} <= {name for _, _, name in expected}
    for key, value in expected.items():
        assert sample(*key) - before[key] == value, key


def test_the_series_name_no_case_item_or_officer() -> None:
    (metric,) = [m for m in REGISTRY.collect() if m.name == "egov_history_facts"]
    assert FACTS._labelnames == ("department", "region", "fact")  # noqa: SLF001
    assert all(not name.endswith(("used_days", "limit_days")) for name in EXPORTED)
    assert metric.type == "counter"
