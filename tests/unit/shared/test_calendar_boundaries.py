"""Boundaries of the calendar and the time model that the mutation run left unpinned
(docs/mutation/shared-calendar.md, second run): exact instants, under a second of counted time,
office hours with seconds or touching periods, a gap in the official years, and the messages an
operator or a script reads."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from shared.calendar import Limit, LimitUnit, YearSchedule, load_default_calendar
from shared.calendar.schedule import packaged_data
from shared.calendar.statutory import statutory_holidays
from shared.calendar.timing import advance_by, one_day, past_maximum, warning_start
from shared.calendar.working import CalendarCoverageError, WorkingCalendar
from shared.clock import SHANGHAI

CAL = load_default_calendar()
DAY = 86_400.0


def sh(y: int, m: int, d: int, hh: int = 0, mm: int = 0, ss: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, ss, tzinfo=SHANGHAI)


def test_under_a_second_of_counted_time_still_moves_the_instant() -> None:
    a = sh(2025, 3, 12, 10)  # a Wednesday, inside office hours
    assert advance_by(LimitUnit.NATURAL_DAYS, a, 0.5, CAL) == a + timedelta(seconds=0.5)
    assert advance_by(LimitUnit.WORKING_DAYS, a, 1.0, CAL) == a + timedelta(seconds=1)
    assert advance_by(LimitUnit.WORKING_HOURS, a, 1.0, CAL) == a + timedelta(seconds=1)


def test_a_day_of_an_hour_limit_is_a_day_of_office_hours() -> None:
    assert one_day(LimitUnit.WORKING_HOURS, CAL) == 7 * 3600  # 9-12 and 13:30-17:30
    assert one_day(LimitUnit.WORKING_DAYS, CAL) == DAY


def test_a_clock_stopped_exactly_at_its_deadline_keeps_that_deadline_past_the_maximum() -> None:
    """Nothing was left when it stopped: running again at the maximum does not push the
    deadline out to the maximum."""
    due = sh(2025, 3, 14, 23, 59, 59)
    ends_by = sh(2025, 3, 19, 12)
    assert past_maximum(LimitUnit.WORKING_DAYS, due, due, ends_by, ends_by, CAL) == (
        due,
        None,
        ends_by,
    )


def test_half_a_second_left_at_the_stop_is_still_added_past_the_maximum() -> None:
    due = sh(2025, 3, 14, 12)
    stopped = due - timedelta(seconds=0.5)
    ends_by = sh(2025, 3, 20, 12)
    assert past_maximum(LimitUnit.NATURAL_DAYS, due, stopped, ends_by, ends_by, CAL) == (
        ends_by + timedelta(seconds=0.5),
        None,
        ends_by,
    )


def test_yellow_starts_at_once_when_exactly_the_margin_is_left_outside_working_time() -> None:
    """From Saturday 10:00 to Tuesday 00:00 exactly one working day (Monday) is left: no more
    than a one-day margin, so yellow starts at the reference itself, not at Monday 00:00."""
    ref = sh(2026, 3, 7, 10)  # Saturday
    due = sh(2026, 3, 10)  # Tuesday 00:00
    assert warning_start(LimitUnit.WORKING_DAYS, ref, due, DAY, CAL) == ref
    # a second more than the margin: yellow waits for the first working moment
    assert warning_start(LimitUnit.WORKING_DAYS, ref, due, DAY - 1, CAL) == sh(2026, 3, 9, 0, 0, 1)


def test_office_hours_keep_their_seconds() -> None:
    calendar = WorkingCalendar(
        packaged_data(),
        office_hours=((time(9, 0, 30), time(12, 0)), (time(13, 0), time(17, 0, 30))),
    )
    assert calendar.office_hours_per_day == 7.0
    assert calendar.working_hours_between(sh(2025, 3, 12, 9), sh(2025, 3, 12, 9, 1)) == 0.5 / 60


def test_office_periods_may_touch_and_start_at_midnight() -> None:
    calendar = WorkingCalendar(
        packaged_data(), office_hours=((time(0, 0), time(12, 0)), (time(12, 0), time(13, 0)))
    )
    assert calendar.office_hours_per_day == 13.0


@pytest.mark.parametrize(
    ("office_hours", "message"),
    [
        ((), "office_hours needs at least one period"),
        (
            ((time(9, 0), time(9, 0)),),
            "office_hours periods must be ordered, non-empty and not overlap",
        ),
        (
            ((time(9, 0), time(12, 0)), (time(11, 0), time(13, 0))),
            "office_hours periods must be ordered, non-empty and not overlap",
        ),
    ],
)
def test_office_hours_that_are_no_day_of_work_are_refused_saying_why(
    office_hours: tuple[tuple[time, time], ...], message: str
) -> None:
    with pytest.raises(ValueError) as refused:
        WorkingCalendar(packaged_data(), office_hours=office_hours)
    assert str(refused.value) == message


def test_the_calendar_refuses_bad_arguments_saying_why() -> None:
    with pytest.raises(ValueError) as refused:
        WorkingCalendar(packaged_data(), provisional_years=-1)
    assert str(refused.value) == "provisional_years must be >= 0"
    with pytest.raises(ValueError) as refused:
        CAL.add_working_days(date(2025, 3, 12), -1)
    assert str(refused.value) == "n must be >= 0, got -1"
    with pytest.raises(ValueError) as refused:
        CAL.add_working_seconds(sh(2025, 3, 12, 10), -1.0)
    assert str(refused.value) == "cannot add a negative amount of working time (-1 day, 23:59:59)"


def test_a_year_the_calendar_cannot_compute_is_named_with_the_way_out() -> None:
    with pytest.raises(CalendarCoverageError) as refused:
        CAL.add_working_days(date(2027, 12, 20), 30)
    assert refused.value.year == 2028
    assert str(refused.value) == (
        "the holiday schedule for 2028 is neither published nor provisional (the provisional "
        "horizon is 2027); publish it with `egov calendar publish FILE` once the State Council has"
    )
    assert str(CalendarCoverageError(2020)) == (
        "the holiday schedule for 2020 is neither published nor provisional; "
        "publish it with `egov calendar publish FILE` once the State Council has"
    )


def test_the_default_calendar_takes_its_horizon_and_office_hours() -> None:
    calendar = load_default_calendar(provisional_years=3, office_hours=((time(8, 0), time(12, 0)),))
    assert calendar.horizon_year == max(calendar.covered_years) + 3
    assert calendar.office_hours_per_day == 4.0


def test_a_deadline_started_in_a_provisional_year_is_provisional_before_an_official_one() -> None:
    """A year published ahead of the one before it (2028 official, 2027 not yet): a limit
    counted from late 2027 into 2028 counted provisional days."""
    calendar = load_default_calendar(provisional_years=2)
    assert calendar.publish(
        YearSchedule(year=2028, source="test", off=tuple(sorted(statutory_holidays(2028))))
    )
    start = sh(2027, 12, 28, 10)
    limit = Limit(value=5)
    due = calendar.deadline(start, limit)
    assert due.year == 2028 and not calendar.is_provisional_year(2028)
    assert calendar.is_provisional(limit, start, due)
    assert not calendar.is_provisional(Limit(value=5, unit=LimitUnit.NATURAL_DAYS), start, due)
