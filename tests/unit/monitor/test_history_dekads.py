"""A period's arithmetic: whole quarters + whole months + whole dekads (旬) at its edges + the
days left count every day of the period exactly once, so the figures summed from those rollups
are the day-by-day sums, whatever the period (inside one month, across a year, a single day)
and whichever rollups the history's markers say are whole."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta
from typing import Any

import pytest

from services.monitor.history.model import (
    EVERY_DEKAD,
    EVERY_QUARTER,
    _months,
    dekad_days,
    dekad_of,
    next_dekad,
)
from services.monitor.history.store import ALL, increments, period_spans

FIRST, LAST = date(2025, 11, 1), date(2028, 3, 31)  # 2028 is a leap year
EDGE_CASES = [
    (date(2026, 1, 10), date(2026, 3, 20)),  # the benchmark's period
    (date(2026, 3, 5), date(2026, 3, 20)),  # inside one month
    (date(2026, 3, 11), date(2026, 3, 20)),  # one whole dekad
    (date(2026, 3, 21), date(2026, 3, 31)),  # the 下旬 of a 31-day month
    (date(2026, 3, 15), date(2026, 3, 15)),  # a single day
    (date(2026, 12, 1), date(2026, 12, 1)),
    (date(2025, 12, 20), date(2026, 1, 12)),  # across a year
    (date(2025, 11, 21), date(2027, 2, 10)),  # across years, quarters and months
    (date(2028, 2, 21), date(2028, 2, 29)),  # a leap February's 下旬
    (date(2026, 2, 21), date(2026, 3, 1)),
    (date(2026, 1, 1), date(2026, 3, 31)),  # a whole quarter
    (date(2026, 4, 1), date(2026, 4, 30)),  # a whole month
]
MARKERS = [
    (EVERY_QUARTER, EVERY_DEKAD),
    (None, None),  # a history folded before both: months and days only
    ("2026-Q2", "2026-03-X2"),  # whole only from there on
]


def days_of(since: date, until: date) -> list[str]:
    return [(since + timedelta(days=i)).isoformat() for i in range((until - since).days + 1)]


def span_days(span: dict[str, Any]) -> list[str]:
    """The days a rollup query span stands for, one entry per rollup period it reads."""
    grain, day = span["grain"], span["day"]
    if grain == "d":
        return days_of(date.fromisoformat(day["$gte"]), date.fromisoformat(day["$lte"]))
    out = []
    for period in day["$in"]:
        if grain == "x":
            out += days_of(*dekad_days(period))
        elif grain == "m":
            out += days_of(*_months(int(period[:4]), int(period[5:7]), 1))
        else:
            out += days_of(*_months(int(period[:4]), 3 * int(period[-1]) - 2, 3))
    return out


def random_periods(n: int) -> list[tuple[date, date]]:
    rnd = random.Random(21)
    span = (LAST - FIRST).days
    out = []
    for _ in range(n):
        a = FIRST + timedelta(days=rnd.randrange(span))
        out.append((a, min(LAST, a + timedelta(days=rnd.choice((0, 3, 12, 40, 100, 400))))))
    return out


@pytest.mark.parametrize(
    ("day", "dekad", "first", "last", "after"),
    [
        ("2026-03-01", "2026-03-X1", "2026-03-01", "2026-03-10", "2026-03-X2"),
        ("2026-03-10", "2026-03-X1", "2026-03-01", "2026-03-10", "2026-03-X2"),
        ("2026-03-11", "2026-03-X2", "2026-03-11", "2026-03-20", "2026-03-X3"),
        ("2026-03-31", "2026-03-X3", "2026-03-21", "2026-03-31", "2026-04-X1"),
        ("2026-02-28", "2026-02-X3", "2026-02-21", "2026-02-28", "2026-03-X1"),
        ("2028-02-29", "2028-02-X3", "2028-02-21", "2028-02-29", "2028-03-X1"),
        ("2026-12-25", "2026-12-X3", "2026-12-21", "2026-12-31", "2027-01-X1"),
    ],
)
def test_a_day_lies_in_its_dekad(day: str, dekad: str, first: str, last: str, after: str) -> None:
    assert dekad_of(day) == dekad
    assert tuple(d.isoformat() for d in dekad_days(dekad)) == (first, last)
    assert next_dekad(dekad) == after


@pytest.mark.parametrize(("quarters_from", "dekads_from"), MARKERS)
def test_every_day_of_a_period_is_read_exactly_once(
    quarters_from: str | None, dekads_from: str | None
) -> None:
    for since, until in EDGE_CASES + random_periods(300):
        spans = period_spans(since, until, quarters_from, dekads_from)
        read = Counter(d for span in spans for d in span_days(span))
        assert read == Counter(days_of(since, until)), (since, until)
        for span in spans:  # and only from the rollups known to be whole
            if span["grain"] == "x":
                assert dekads_from is not None and min(span["day"]["$in"]) >= dekads_from
            if span["grain"] == "q":
                assert quarters_from is not None and min(span["day"]["$in"]) >= quarters_from


def test_the_benchmark_period_reads_one_day_and_four_dekads_at_its_edges() -> None:
    spans = period_spans(date(2026, 1, 10), date(2026, 3, 20), EVERY_QUARTER, EVERY_DEKAD)
    assert spans == [
        {"grain": "m", "day": {"$in": ["2026-02"]}},
        {"grain": "x", "day": {"$in": ["2026-01-X2", "2026-01-X3", "2026-03-X1", "2026-03-X2"]}},
        {"grain": "d", "day": {"$gte": "2026-01-10", "$lte": "2026-01-10"}},
    ]


class Rollups:
    """The rollup documents as ``increments`` writes them, kept in memory."""

    def __init__(self) -> None:
        self.docs: dict[str, dict[str, Any]] = {}

    def apply(self, key: tuple[str, str, str, str], inc: dict[str, float]) -> None:
        for op in increments(key, inc):
            doc = self.docs.setdefault(op._filter["_id"], {**op._doc["$setOnInsert"], "c": {}})  # noqa: SLF001
            for path, value in op._doc["$inc"].items():  # noqa: SLF001
                name = path.removeprefix("c.")
                doc["c"][name] = doc["c"].get(name, 0) + value

    def summed(self, spans: list[dict[str, Any]], item: str) -> dict[str, float]:
        out: dict[str, float] = {}
        for doc in self.docs.values():
            if doc["item_code"] == item and any(self._in(doc, span) for span in spans):
                for name, value in doc["c"].items():
                    out[name] = out.get(name, 0) + value
        return out

    @staticmethod
    def _in(doc: dict[str, Any], span: dict[str, Any]) -> bool:
        day = span["day"]
        if doc["grain"] != span["grain"]:
            return False
        if "$in" in day:
            return bool(doc["day"] in day["$in"])
        return bool(day["$gte"] <= doc["day"] <= day["$lte"])


def test_a_period_summed_from_its_rollups_gives_the_day_by_day_figures() -> None:
    rnd = random.Random(7)
    rollups, daily = Rollups(), {}
    for day in days_of(FIRST, LAST):
        if rnd.random() < 0.7:  # some days have no fact
            inc = {"cases": float(rnd.randint(1, 9)), "working_days": rnd.randint(1, 90) / 8}
            rollups.apply((day, "500000-SCJ", "500000", "500000-SCJ-001"), inc)
            daily[day] = inc
    for since, until in EDGE_CASES + random_periods(60):
        expected: dict[str, float] = {}
        for day in days_of(since, until):
            for name, value in daily.get(day, {}).items():
                expected[name] = expected.get(name, 0) + value
        for markers in MARKERS:
            spans = period_spans(since, until, *markers)
            for item in ("500000-SCJ-001", ALL):
                got = rollups.summed(spans, item)
                assert got.keys() == expected.keys(), (since, until, markers)
                for name, value in expected.items():
                    assert got[name] == pytest.approx(value), (since, until, markers, name)
