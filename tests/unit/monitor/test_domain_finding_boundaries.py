"""The findings and the ladder at their exact limits (docs/monitor.md, "Findings": each limit is
"more than N"; red at `due_at`), with the detail each finding carries into the register."""

from __future__ import annotations

from datetime import datetime, timedelta

from services.monitor import domain as d
from shared.calendar import Limit, load_default_calendar
from shared.clock import SHANGHAI

CAL = load_default_calendar()
POLICY = d.WarningPolicy()
FIND = d.FindingPolicy()
MON = datetime(2026, 3, 2, 9, tzinfo=SHANGHAI)  # Monday, an ordinary working week


def stage(opened: datetime, days: int, name: str = "review") -> d.StageState:
    limit = Limit(value=days, unit="working_days")
    return d.open_stage(
        case_id="C1",
        stage_id="S1",
        stage=name,
        item_code="I1",
        department="D1",
        region="500000",
        assignee="h1",
        opened_at=opened,
        due_at=CAL.deadline(opened, limit),
        limit=limit,
        calendar=CAL,
        policy=POLICY,
    )


def test_an_entry_exactly_24_hours_late_is_no_finding_a_second_more_is_with_its_hours() -> None:
    assert d.after_the_fact(MON, MON + timedelta(hours=24), FIND) is None
    found = d.after_the_fact(MON, MON + timedelta(hours=25, minutes=30), FIND)
    assert found == d.Finding("after_the_fact_entry", "recorded 25.5 h after the time it claims")
    assert d.after_the_fact(MON, MON + timedelta(hours=24, seconds=1), FIND) is not None
    weeks_late = d.after_the_fact(MON, MON + timedelta(hours=250), FIND)
    assert weeks_late is not None
    assert weeks_late.detail == "recorded 250.0 h after the time it claims"


def test_pre_review_of_exactly_two_working_days_is_on_time_a_second_more_is_late() -> None:
    two_days = CAL.add_working_seconds(MON, 2 * d.DAY_S)
    assert d.prereview_late(MON, two_days, CAL, FIND) is None
    late = d.prereview_late(MON, two_days + timedelta(seconds=1), CAL, FIND)
    assert late is not None and late.detail == "pre-review took 2.00 working days (limit 2)"


def test_a_pre_review_all_spent_waiting_for_the_applicant_is_never_late() -> None:
    # with a same-day rule (0 working days), the department used no time of its own
    same_day = FIND.model_copy(update={"prereview_working_days": 0})
    waited = CAL.working_seconds_between(MON, MON + timedelta(hours=5))
    assert d.prereview_late(MON, MON + timedelta(hours=5), CAL, same_day, waited) is None
    assert d.prereview_late(MON, MON, CAL, same_day) is None


def test_a_sign_in_exactly_four_office_hours_after_opening_is_on_time() -> None:
    assert d.late_sign_in(MON, CAL.add_working_hours(MON, 4), CAL, FIND) is None
    late = d.late_sign_in(MON, CAL.add_working_hours(MON, 4.1), CAL, FIND)
    assert late is not None and late.detail == "signed in 4.1 office hours after opening (limit 4)"


def test_the_sign_in_timer_finds_a_task_once_and_only_while_nobody_signed_in() -> None:
    s = stage(MON, 5).model_copy(update={"sign_in_due": d.sign_in_due(MON, CAL, FIND)})
    due = s.sign_in_due
    assert due is not None
    assert d.not_signed_in(s, due - timedelta(seconds=1)) == (s, None)
    found_once, finding = d.not_signed_in(s, due)
    assert finding is not None and finding.at == due and found_once.late_sign_in_found
    assert d.not_signed_in(found_once, due + timedelta(hours=1))[1] is None  # once
    signed = s.model_copy(update={"signed_in_at": due - timedelta(minutes=5)})
    assert d.not_signed_in(signed, due + timedelta(hours=1))[1] is None
    closed = d.close(s, due - timedelta(minutes=5), "approved", None)
    assert d.not_signed_in(closed, due + timedelta(hours=1))[1] is None


def test_a_stage_closed_at_its_due_instant_is_on_time_and_needs_no_reason() -> None:
    s = stage(MON, 2)
    at_due = d.close(s, s.due_at, "approved", None)
    assert d.on_time(at_due)
    assert d.closed_red_without_reason(at_due) is None
    late = d.close(s, s.due_at + timedelta(seconds=1), "approved", "  ")
    assert not d.on_time(late)
    found = d.closed_red_without_reason(late)
    assert found is not None and found.detail == (
        f"closed {late.closed_at.isoformat() if late.closed_at else ''} after due "
        f"{s.due_at.isoformat()} without a recorded reason"
    )


def test_fast_close_counts_only_the_listed_stages_and_never_a_cancellation() -> None:
    review = stage(MON, 5)
    assert (
        d.implausibly_fast(
            d.close(review, MON + timedelta(seconds=10), "cancelled", None), CAL, FIND
        )
        is None
    )
    accept = stage(MON, 5, name="accept")
    assert (
        d.implausibly_fast(
            d.close(accept, MON + timedelta(seconds=10), "approved", None), CAL, FIND
        )
        is None
    )
    # "within 60 working seconds": 59 s is fast, a full minute is not
    assert (
        d.implausibly_fast(
            d.close(review, MON + timedelta(seconds=60), "approved", None), CAL, FIND
        )
        is None
    )
    fast = d.implausibly_fast(
        d.close(review, MON + timedelta(seconds=59), "approved", None), CAL, FIND
    )
    assert fast == d.Finding("implausibly_fast", "review closed 59 s after it started")


def test_handling_time_is_counted_in_working_days() -> None:
    closed = d.close(stage(MON, 5), MON + timedelta(days=1, hours=12), "approved", None)
    assert d.handling_working_days(closed, CAL) == 1.5
    assert closed.outcome == "approved" and closed.status is d.Status.CLOSED


def test_a_stage_first_seen_exactly_at_its_due_instant_is_red_without_a_yellow() -> None:
    s = stage(MON, 5)
    after, fired = d.advance(s, s.due_at, d.DEFAULT_LADDER, CAL)
    assert [t.kind for t in fired] == ["red", "rung"]
    assert after.yellow_at is None and after.light(s.due_at) is d.Light.RED


def test_a_lit_light_stays_after_a_resumption_that_moves_the_deadline_ahead() -> None:
    # a light once lit stays until the deadline is recomputed (change_due), not on resumption
    s = stage(MON, 5)
    yellow, fired = d.advance(s, s.warn_at, d.DEFAULT_LADDER, CAL)
    assert [t.kind for t in fired] == ["yellow"]
    paused = d.suspend(yellow, s.warn_at + timedelta(hours=1), CAL)
    later = s.due_at + timedelta(days=20)
    resumed = d.resume(paused, s.warn_at + timedelta(hours=2), later, CAL)
    assert resumed.warn_at > s.warn_at + timedelta(hours=2)
    assert resumed.light(s.warn_at + timedelta(hours=3)) is d.Light.YELLOW
    red, _ = d.advance(s, s.due_at, d.DEFAULT_LADDER, CAL)
    resumed_red = d.resume(d.suspend(red, s.due_at, CAL), s.due_at, later, CAL)
    assert resumed_red.light(s.due_at + timedelta(hours=1)) is d.Light.RED
