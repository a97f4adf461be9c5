"""Periods, the region scope of GB/T 2260 codes, the model file, and one bad case document."""

from __future__ import annotations

import logging
from datetime import date, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from services.monitor.history.fold import fold
from services.monitor.history.model import (
    covers,
    last_complete,
    load_model,
    parse_period,
    split_period,
)
from shared.calendar import Limit, load_default_calendar
from shared.clock import SHANGHAI
from tests.support.history_events import Case

CAL = load_default_calendar()


@pytest.mark.parametrize(
    ("text", "since", "until"),
    [
        ("2026", date(2026, 1, 1), date(2026, 12, 31)),
        ("2026-H2", date(2026, 7, 1), date(2026, 12, 31)),
        ("2026-Q1", date(2026, 1, 1), date(2026, 3, 31)),
        ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31)),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29)),
        ("2026-12", date(2026, 12, 1), date(2026, 12, 31)),
        ("2026-03-05..2026-03-05", date(2026, 3, 5), date(2026, 3, 5)),
    ],
)
def test_periods(text: str, since: date, until: date) -> None:
    period = parse_period(text)
    assert (period.since, period.until) == (since, until)


@pytest.mark.parametrize("text", ["2026-Q0", "2026-13", "2026-03-05..2026-03-04", "last month"])
def test_what_is_not_a_period_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="period"):
        parse_period(text)


@pytest.mark.parametrize(
    ("kind", "today", "label"),
    [
        ("quarter", date(2026, 5, 6), "2026-Q1"),
        ("quarter", date(2026, 2, 1), "2025-Q4"),
        ("half", date(2026, 5, 6), "2025-H2"),
        ("half", date(2026, 7, 1), "2026-H1"),
        ("month", date(2026, 1, 15), "2025-12"),
        ("year", date(2026, 1, 15), "2025"),
    ],
)
def test_the_last_whole_period(kind: str, today: date, label: str) -> None:
    assert last_complete(kind, today).label == label


def test_a_region_covers_the_regions_under_it() -> None:
    assert covers("500000", "500103") and covers("510100", "510104")
    assert not covers("510100", "510200") and not covers("500000", "510100")
    assert covers("500103", "500103") and not covers("500103", "500104")


def test_a_model_naming_an_unknown_indicator_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "m.toml"
    path.write_text(
        'name = "x"\n[[indicators]]\nid = "speed"\nname = "s"\nweight = 1\ntarget = 1\n'
    )
    with pytest.raises(ValidationError, match="unknown indicators"):
        load_model(path)
    assert {i.id for i in load_model().indicators} >= {"case_on_time_rate", "satisfaction_rate"}


def test_a_case_whose_document_cannot_be_counted_leaves_the_others_counted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    at = datetime(2026, 3, 2, 10, tzinfo=SHANGHAI)
    good, bad = Case("C-good"), Case("C-bad")
    broken = {"_id": "C-bad", "stages": [], "findings": [], "rects": [], "case": {"channel": "web"}}
    events = [good.submitted(at), bad.opened("review", at, CAL.deadline(at, Limit(value=1)))]
    with caplog.at_level(logging.ERROR):
        folded = fold(events, {"C-bad": broken}, {}, CAL)
    assert set(folded.docs) == {"C-good"} and folded.skipped == 1
    assert "C-bad" in caplog.text


@pytest.mark.parametrize(
    ("since", "until", "months", "edges"),
    [
        (date(2026, 1, 1), date(2026, 3, 31), ["2026-01", "2026-02", "2026-03"], []),
        (
            date(2026, 2, 20),
            date(2026, 4, 10),
            ["2026-03"],
            [(date(2026, 2, 20), date(2026, 2, 28)), (date(2026, 4, 1), date(2026, 4, 10))],
        ),
        (date(2026, 3, 5), date(2026, 3, 20), [], [(date(2026, 3, 5), date(2026, 3, 20))]),
        (date(2026, 3, 5), date(2026, 4, 20), [], [(date(2026, 3, 5), date(2026, 4, 20))]),
        (date(2025, 12, 1), date(2026, 1, 31), ["2025-12", "2026-01"], []),
    ],
)
def test_a_period_reads_whole_months_from_monthly_rollups_and_its_edges_by_day(
    since: date, until: date, months: list[str], edges: list[tuple[date, date]]
) -> None:
    assert split_period(since, until) == (months, edges)
