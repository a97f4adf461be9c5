"""The department assessment against an independent computation: a seeded month of cases with
known outcomes is fed through the projection as events, and every indicator the model computes
from the rollups must equal what the test computes straight from the cases' own rows."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

import pytest

from services.monitor.history import reports
from services.monitor.history.assess import INDICATORS, attainment, score
from services.monitor.history.model import Indicator, load_model, parse_period
from shared.calendar import Limit, load_default_calendar
from shared.clock import SHANGHAI
from tests.support.history_scenario import (
    ANSWER_DAYS,
    ITEMS,
    PROMISED,
    RECT_DAYS,
    STAGE_LIMIT,
    MemoryHistory,
    Row,
    catalog_events,
    events,
    rows,
)

CAL = load_default_calendar()
MODEL = load_model()
ROWS = rows(seed=21, n=240, calendar=CAL)


def history() -> MemoryHistory:
    h = MemoryHistory()
    batch = [e for row in ROWS for e in events(row, CAL)]
    for i in range(0, len(batch), 97):  # batches that cut cases in two
        h.apply(batch[i : i + 97], CAL)
    h.apply(catalog_events(), CAL)
    return h


def closed_day(row: Row) -> date:
    return CAL.add_working_days(row.accepted_day, row.days)


def rated_day(row: Row) -> date:
    return closed_day(row) + timedelta(days=1)


def rung_day(row: Row, n: int) -> date:
    due = CAL.deadline(
        datetime.combine(row.accepted_day, datetime.min.time(), SHANGHAI).replace(hour=10),
        Limit(value=STAGE_LIMIT),
    )
    return CAL.add_working_seconds(due, (n - 1) * 86_400).astimezone(SHANGHAI).date()


def expected(rows_: list[Row], since: date, until: date) -> dict[str, float | None]:
    """Each indicator computed from the rows alone (no rollup, no fact, no projection)."""

    def inside(d: date) -> bool:
        return since <= d <= until

    def rate(num: float, den: float) -> float | None:
        return num / den if den else None

    closed = [r for r in rows_ if inside(closed_day(r))]
    accepted = [r for r in rows_ if inside(r.accepted_day)]
    rated = [r for r in rows_ if r.level and inside(rated_day(r))]
    rect = [
        r
        for r in rows_
        if r.rect_days is not None and inside(CAL.add_working_days(rated_day(r), r.rect_days))
    ]
    carded = sum(1 for r in rows_ for n in range(2, r.rungs + 1) if inside(rung_day(r, n)))
    answered = [
        r
        for r in rows_
        if r.rungs >= 2 and inside(CAL.add_working_days(rung_day(r, 2), r.answer_days))
    ]
    credit = sum(1 for r in rows_ if r.rungs >= 4 and inside(rung_day(r, 4)))
    good = ("very_satisfied", "satisfied", "basically_satisfied")
    offered = [i for i in ITEMS if i[3] == "open"]
    return {
        "stage_on_time_rate": rate(sum(r.days <= STAGE_LIMIT for r in closed), len(closed)),
        "case_on_time_rate": rate(sum(r.days <= PROMISED for r in closed), len(closed)),
        "statutory_on_time_rate": rate(len(closed), len(closed)),
        "promised_time_used": rate(sum(r.days + 0.25 for r in closed), PROMISED * len(closed)),
        "statutory_time_used": rate(sum(r.days + 0.25 for r in closed), 15 * len(closed)),
        "overdue_per_100": rate(
            100 * sum(r.rungs > 0 and inside(rung_day(r, 1)) for r in rows_), len(closed)
        ),
        "carded_per_100": rate(100 * carded, len(accepted)),
        "findings_per_100": rate(100 * sum(r.rungs >= 2 for r in closed), len(accepted)),
        "answers_on_time_rate": rate(
            sum(r.answer_days <= ANSWER_DAYS for r in answered), len(answered)
        ),
        "satisfaction_rate": rate(sum(r.level in good for r in rated), len(rated)),
        "rectification_on_time_rate": rate(sum(r.rect_days <= RECT_DAYS for r in rect), len(rect)),  # type: ignore[operator]
        "credit_incidents": credit,
        "digital_take_up": rate(sum(r.channel in ("web", "app") for r in accepted), len(accepted)),
        "completion_rate": rate(
            sum(r.decision in ("approved", "denied") for r in closed), len(closed)
        ),
        # each department's own catalog (ITEMS), as it is now: the open items
        "fully_online_share": rate(sum(o for _, o, _, st in ITEMS if st == "open"), len(offered)),
        "zero_visit_share": rate(
            sum(v == 0 for _, _, v, st in ITEMS if st == "open"), len(offered)
        ),
    }


@pytest.mark.parametrize("period", ["2026-03-01..2026-04-30", "2026-03-05..2026-03-16"])
async def test_every_indicator_of_every_department_agrees_with_the_cases(period: str) -> None:
    chosen = parse_period(period)
    found = await reports.units(history(), chosen, "department")
    by_dept: dict[str, list[Row]] = defaultdict(list)
    for row in ROWS:
        by_dept[row.case.department].append(row)
    assert set(found) == set(by_dept)
    for dept, rows_ in by_dept.items():
        want = expected(rows_, chosen.since, chosen.until)
        got = {name: fn(found[dept], MODEL) for name, fn in INDICATORS.items()}
        for name, value in want.items():
            if value is None:
                assert got[name] is None, (dept, name)
            else:
                assert got[name] == pytest.approx(value, rel=1e-9), (dept, name)
        assert set(want) == set(INDICATORS)


async def test_a_region_scope_sees_its_own_region_only() -> None:
    chosen = parse_period("2026-03-01..2026-04-30")
    found = await reports.units(history(), chosen, "department", scope="510100")
    assert set(found) == {"510100-SCJ"}
    everywhere = await reports.units(history(), chosen, "region", scope="500000")
    assert set(everywhere) == {"500000"}


def test_points_follow_the_targets() -> None:
    higher = Indicator(id="case_on_time_rate", name="x", weight=20, target=0.98)
    lower = Indicator(id="carded_per_100", name="y", weight=10, target=1, better="lower", span=4)
    assert attainment(higher, 0.99) == 1.0
    assert attainment(higher, 0.49) == pytest.approx(0.5)
    assert attainment(lower, 0.5) == 1.0
    assert attainment(lower, 3.0) == pytest.approx(0.5)  # two of the four past the target
    assert attainment(lower, 9.0) == 0.0


def test_a_score_is_normalised_over_the_indicators_with_data() -> None:
    counters = {"promised_closed": 10, "promised_on_time": 9, "accepted": 10}
    got = score(counters, MODEL)
    rows_ = {r["id"]: r for r in got["indicators"]}
    # Only case_on_time_rate (0.9 of a 0.98 target, weight 20), promised_time_used (no
    # limit days: no data) and carded_per_100 (0 per 100, weight 10) and credit_incidents
    # (0, weight 5) have data.
    with_data = {k for k, r in rows_.items() if r["value"] is not None}
    assert with_data == {"case_on_time_rate", "carded_per_100", "credit_incidents"}
    want = 100 * (20 * 0.9 / 0.98 + 10 + 5) / 35
    assert got["score"] == pytest.approx(want, abs=0.005)


WORKED_EXAMPLE = {  # docs/assessment.md, "Worked example"
    "submitted": 210,
    "channel_web": 120,
    "channel_app": 40,
    "channel_window": 50,
    "accepted": 200,
    "decided": 195,
    "decision_approved": 180,
    "decision_denied": 10,
    "decision_lapsed": 5,
    "stage_closed": 400,
    "stage_on_time": 388,
    "promised_closed": 190,
    "promised_on_time": 181,
    "promised_used_days": 399,
    "promised_limit_days": 570,
    "statutory_closed": 190,
    "statutory_on_time": 190,
    "statutory_used_days": 399,
    "statutory_limit_days": 2850,
    "stage_rung_1": 12,
    "stage_rung_2": 2,
    "stage_rung_3": 1,
    "stage_rung_4": 1,
    "card_yellow": 2,
    "card_red": 2,
    "credit_incidents": 1,
    "answer_closed": 4,
    "answer_on_time": 3,
    "ratings": 150,
    "rating_very_satisfied": 100,
    "rating_satisfied": 35,
    "rating_basically_satisfied": 10,
    "rating_dissatisfied": 4,
    "rating_very_dissatisfied": 1,
    "rect_opened": 5,
    "rect_closed": 5,
    "rect_on_time": 4,
}


def test_the_worked_example_of_the_docs() -> None:
    got = score(WORKED_EXAMPLE, MODEL)
    points = {r["id"]: r["points"] for r in got["indicators"]}
    assert points == {
        "stage_on_time_rate": 14.85,
        "case_on_time_rate": 19.44,
        "statutory_on_time_rate": 10.0,
        "promised_time_used": 7.5,
        "carded_per_100": 7.5,
        "answers_on_time_rate": 3.75,
        "satisfaction_rate": 14.65,
        "rectification_on_time_rate": 8.0,
        "credit_incidents": 2.5,
    }
    assert got["score"] == 88.18
