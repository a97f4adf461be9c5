"""Quarter rollups: every fact counts in its quarter too, and a period reads a whole quarter
from its quarter rollup only from the quarter the history knows them to be whole."""

from __future__ import annotations

from datetime import date

import pytest

from services.monitor.history.model import (
    EVERY_QUARTER,
    next_quarter,
    quarter_of,
    split_quarters,
)
from services.monitor.history.store import ALL, increments, period_spans


@pytest.mark.parametrize(
    ("day", "quarter", "after"),
    [
        ("2026-01-01", "2026-Q1", "2026-Q2"),
        ("2026-03-31", "2026-Q1", "2026-Q2"),
        ("2026-04-01", "2026-Q2", "2026-Q3"),
        ("2026-09", "2026-Q3", "2026-Q4"),
        ("2026-12-31", "2026-Q4", "2027-Q1"),
    ],
)
def test_a_day_or_month_lies_in_its_quarter(day: str, quarter: str, after: str) -> None:
    assert quarter_of(day) == quarter and next_quarter(quarter) == after


def test_a_fact_counts_in_its_day_dekad_month_and_quarter_by_item_and_over_every_item() -> None:
    ops = increments(("2026-05-20", "500000-SCJ", "500000", "500000-SCJ-001"), {"submitted": 1})
    ids = sorted(op._filter["_id"] for op in ops)  # noqa: SLF001 - what the upsert targets
    grains = (("d", "2026-05-20"), ("x", "2026-05-X2"), ("m", "2026-05"), ("q", "2026-Q2"))
    assert ids == sorted(
        f"{g}|{p}|500000-SCJ|500000|{unit}" for g, p in grains for unit in ("500000-SCJ-001", ALL)
    )
    quarter = next(op for op in ops if op._filter["_id"].startswith("q|"))  # noqa: SLF001
    assert quarter._doc["$setOnInsert"]["day"] == "2026-Q2"  # noqa: SLF001
    officer = increments(("2026-05-20", "500000-SCJ", "500000", "o1"), {"x": 1}, "officer")
    assert len(officer) == 4


def test_whole_quarters_are_read_from_quarters_only_from_where_they_are_whole() -> None:
    months = ["2025-12", "2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]
    assert split_quarters(months, EVERY_QUARTER) == (["2026-Q1", "2026-Q2"], ["2025-12"])
    assert split_quarters(months, "2026-Q2") == (
        ["2026-Q2"],
        ["2025-12", "2026-01", "2026-02", "2026-03"],
    )
    assert split_quarters(months, None) == ([], months)  # no marker: months only
    assert split_quarters(["2026-01", "2026-02"], EVERY_QUARTER) == ([], ["2026-01", "2026-02"])


def test_a_quarter_with_edge_days_reads_quarters_months_and_days() -> None:
    spans = period_spans(date(2025, 12, 20), date(2026, 7, 31), EVERY_QUARTER)
    assert spans == [
        {"grain": "q", "day": {"$in": ["2026-Q1", "2026-Q2"]}},
        {"grain": "m", "day": {"$in": ["2026-07"]}},
        {"grain": "d", "day": {"$gte": "2025-12-20", "$lte": "2025-12-31"}},
    ]
    assert period_spans(date(2026, 1, 1), date(2026, 3, 31)) == [
        {"grain": "m", "day": {"$in": ["2026-01", "2026-02", "2026-03"]}}
    ]
