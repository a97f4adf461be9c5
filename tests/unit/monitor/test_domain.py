"""Light, ladder and finding rules as pure functions, on the real 2026 calendar."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from services.monitor import domain as d
from shared.calendar import Limit, load_default_calendar
from shared.clock import SHANGHAI

CAL = load_default_calendar()
POLICY = d.WarningPolicy()


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def stage(opened: datetime, days: int, unit: str = "working_days") -> d.StageState:
    limit = Limit(value=days, unit=unit)  # type: ignore[arg-type]
    due = CAL.deadline(opened, limit)
    return d.open_stage(
        case_id="C1",
        stage_id="S1",
        stage="review",
        item_code="I1",
        department="D1",
        region="500000",
        assignee="h1",
        opened_at=opened,
        due_at=due,
        limit=limit,
        calendar=CAL,
        policy=POLICY,
    )


def light(s: d.StageState, now: datetime) -> d.Light:
    return s.light(now)


def test_two_day_limit_over_the_mid_autumn_holiday_stays_green_until_the_last_day() -> None:
    # Wed 2026-09-23; Sep 25-27 are off, so 2 working days end on Mon Sep 28.
    s = stage(at(2026, 9, 23, 10), 2)
    assert s.due_at == at(2026, 9, 28, 23, 59, 59)
    assert light(s, at(2026, 9, 24, 23)) is d.Light.GREEN
    # Only Sep 28 is left during the holiday, but yellow starts on the first working moment.
    assert light(s, at(2026, 9, 26, 12)) is d.Light.GREEN
    assert s.warn_at == at(2026, 9, 27, 23, 59, 59)
    assert light(s, at(2026, 9, 28, 0, 1)) is d.Light.YELLOW
    assert light(s, at(2026, 9, 29, 0, 0)) is d.Light.RED


def test_twenty_percent_margin_wins_for_long_limits() -> None:
    s = stage(at(2026, 3, 2, 9), 20)  # 20 working days: 20 % is 4 days, more than 1 day
    assert s.margin_s == pytest.approx(0.2 * 20 * 86400)  # a share of the limit itself
    assert light(s, s.due_at - timedelta(days=1)) is d.Light.YELLOW
    assert CAL.working_days_between(s.warn_at, s.due_at) == 4  # yellow four working days ahead


def test_make_up_working_saturday_counts() -> None:
    # Fri 2026-10-09 + 1 working day = Sat Oct 10, an official make-up working day.
    s = stage(at(2026, 10, 9, 10), 1)
    assert s.due_at == at(2026, 10, 10, 23, 59, 59)
    assert light(s, at(2026, 10, 11, 8)) is d.Light.RED


def test_short_limit_is_yellow_at_once() -> None:
    s = stage(at(2026, 3, 2, 9), 4, "working_hours")  # less than one office day
    assert light(s, s.opened_at) is d.Light.YELLOW
    assert s.warn_at == s.opened_at


def test_advance_fires_each_colour_and_rung_once_and_the_ladder_skips_the_national_day() -> None:
    s = stage(at(2026, 9, 23, 10), 2)
    ladder = d.DEFAULT_LADDER
    s1, fired = d.advance(s, at(2026, 9, 28, 9), ladder, CAL)
    assert [t.kind for t in fired] == ["yellow"]
    assert d.advance(s1, at(2026, 9, 28, 10), ladder, CAL)[1] == []  # once per colour
    s2, fired = d.advance(s1, at(2026, 9, 29, 0, 0, 1), ladder, CAL)
    assert [(t.kind, t.number) for t in fired] == [("red", 0), ("rung", 1)]
    assert fired[1].rung is not None and fired[1].rung.recipients == ("handler",)
    assert d.next_due(s2, ladder, CAL) == at(2026, 9, 29, 23, 59, 59)
    s3, fired = d.advance(s2, at(2026, 10, 7, 12), ladder, CAL)  # Oct 1-7 are off
    assert [t.number for t in fired] == [2, 3]
    assert [t.rung.card for t in fired if t.rung] == ["yellow", "red"]
    due4 = d.next_due(s3, ladder, CAL)
    assert due4 == at(2026, 10, 8, 23, 59, 59)  # the third working day after Sep 28
    s4, fired = d.advance(s3, due4, ladder, CAL)
    assert fired[0].rung is not None and fired[0].rung.credit_incident
    assert fired[0].rung.recipients == ("inspection_office",)
    assert d.next_due(s4, ladder, CAL) is None


def test_late_discovery_skips_yellow_and_fires_red_with_the_due_rungs() -> None:
    s = stage(at(2026, 3, 2, 9), 2)
    s1, fired = d.advance(s, s.due_at + timedelta(days=1, hours=1), d.DEFAULT_LADDER, CAL)
    assert [t.kind for t in fired] == ["red", "rung", "rung"]


def test_suspension_keeps_remaining_time_and_stops_the_ladder() -> None:
    s = stage(at(2026, 3, 2, 9), 5)
    paused = d.suspend(s, at(2026, 3, 4, 9), CAL)
    assert paused.remaining_s == pytest.approx(
        CAL.working_seconds_between(at(2026, 3, 4, 9), s.due_at)
    )
    assert d.advance(paused, s.due_at + timedelta(days=10), d.DEFAULT_LADDER, CAL)[1] == []
    assert d.next_due(paused, d.DEFAULT_LADDER, CAL) is None
    assert paused.light(at(2026, 4, 30)) is d.Light.GREEN  # frozen while suspended
    new_due = CAL.add_working_seconds(at(2026, 3, 20, 9), paused.remaining_s or 0)
    resumed = d.resume(paused, at(2026, 3, 20, 9), new_due, CAL)
    assert resumed.due_at == new_due and resumed.status is d.Status.OPEN
    assert d.next_due(resumed, d.DEFAULT_LADDER, CAL) == resumed.warn_at
    assert resumed.warn_at > at(2026, 3, 20, 9)


def test_closing_stops_the_ladder() -> None:
    s = stage(at(2026, 3, 2, 9), 2)
    red, _ = d.advance(s, s.due_at + timedelta(seconds=1), d.DEFAULT_LADDER, CAL)
    closed = d.close(red, s.due_at + timedelta(hours=2), "approved", None)
    assert d.advance(closed, s.due_at + timedelta(days=30), d.DEFAULT_LADDER, CAL)[1] == []
    assert d.next_due(closed, d.DEFAULT_LADDER, CAL) is None


def test_ladder_per_item_then_department_then_default() -> None:
    fast = (d.Rung(after_working_days=0, recipients=("handler", "section_chief"), card="yellow"),)
    dept = (d.Rung(after_working_days=0, recipients=("department_head",)),)
    policy = d.LadderPolicy(by_item={"I9": fast}, by_department={"D2": dept})
    assert policy.ladder_for("D2", "I9") == fast
    assert policy.ladder_for("D2", "I1") == dept
    assert policy.ladder_for("D3", "I1") == d.DEFAULT_LADDER


def test_natural_day_and_working_hour_limits() -> None:
    s = stage(at(2026, 9, 24, 10), 3, "natural_days")  # runs through the holiday
    assert s.due_at == at(2026, 9, 27, 23, 59, 59)
    assert light(s, at(2026, 9, 27, 10)) is d.Light.YELLOW
    h = stage(at(2026, 3, 2, 9), 8, "working_hours")
    assert light(h, at(2026, 3, 2, 9, 30)) is d.Light.GREEN  # 7.5 office hours left
    assert light(h, at(2026, 3, 2, 10, 30)) is d.Light.YELLOW  # one office day (7 h) left


FIND = d.FindingPolicy()


def test_prereview_beyond_two_working_days() -> None:
    opened = at(2026, 9, 24, 10)  # Thu; the holiday follows
    assert d.prereview_late(opened, at(2026, 9, 29, 9), CAL, FIND) is None
    late = d.prereview_late(opened, at(2026, 9, 30, 11), CAL, FIND)
    assert late is not None and late.kind == "prereview_late"


def test_late_sign_in_counts_office_hours_only() -> None:
    opened = at(2026, 3, 6, 16)  # Friday afternoon
    assert d.late_sign_in(opened, at(2026, 3, 9, 9, 30), CAL, FIND) is None  # weekend ignored
    late = d.late_sign_in(opened, at(2026, 3, 9, 16), CAL, FIND)
    assert late is not None and late.kind == "late_sign_in"


def test_closed_red_needs_a_reason() -> None:
    s = stage(at(2026, 3, 2, 9), 2)
    late = d.close(s, s.due_at + timedelta(hours=1), "approved", None)
    found = d.closed_red_without_reason(late)
    assert found is not None and found.kind == "closed_red_without_reason"
    assert (
        d.closed_red_without_reason(
            d.close(s, s.due_at + timedelta(hours=1), "approved", "hearing")
        )
        is None
    )
    assert (
        d.closed_red_without_reason(d.close(s, s.due_at - timedelta(hours=1), "approved", None))
        is None
    )


def test_after_the_fact_entry_and_implausibly_fast_close() -> None:
    assert d.after_the_fact(at(2026, 3, 2, 9), at(2026, 3, 2, 20), FIND) is None
    found = d.after_the_fact(at(2026, 3, 1, 9), at(2026, 3, 3, 9), FIND)
    assert found is not None and found.kind == "after_the_fact_entry"
    s = stage(at(2026, 3, 2, 9), 5)
    fast = d.implausibly_fast(d.close(s, at(2026, 3, 2, 9, 0, 20), "approved", None), CAL, FIND)
    assert fast is not None and fast.kind == "implausibly_fast"
    assert d.implausibly_fast(d.close(s, at(2026, 3, 2, 11), "approved", None), CAL, FIND) is None
