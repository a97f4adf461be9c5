"""Rules of the calendar and the time model that the mutation run left unpinned
(docs/mutation/shared-calendar.md): each test names the surviving mutants it kills."""

import math
from datetime import date, datetime

from shared.calendar import Limit, LimitUnit, YearSchedule, load_default_calendar
from shared.calendar.timing import Stop, WarningPolicy, past_maximum, time_left, warning_margin
from shared.clock import SHANGHAI

CAL = load_default_calendar()


def sh(y: int, m: int, d: int, hh: int = 0, mm: int = 0, ss: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, ss, tzinfo=SHANGHAI)


def test_a_long_hour_limit_warns_at_a_fifth_of_it() -> None:
    """40 working hours: 20 % is 8 hours, more than a day of office hours (7), and the earlier
    warning wins. Kills timing.x_limit_seconds__mutmut_2 (/ 3600) and _3 (3601 s an hour)."""
    limit = Limit(value=40, unit=LimitUnit.WORKING_HOURS)
    assert warning_margin(limit, CAL, WarningPolicy()) == 8 * 3600


def test_the_clock_runs_again_at_the_exact_instant_of_the_stops_maximum() -> None:
    """A stop ends at its maximum once ``now >= ends_by`` (``Stop.end``); ``past_maximum``
    agrees at that instant: the deadline moves out by what was left when the clock stopped.
    Kills timing.x_past_maximum__mutmut_5 (``now <= ends_by``: still stopped at the instant)."""
    due = sh(2025, 3, 14, 23, 59, 59)  # Friday
    stopped = sh(2025, 3, 12, 12)  # Wednesday noon: 2.5 working days less a second left
    ends_by = sh(2025, 3, 17, 12)  # Monday noon
    assert Stop(started_at=stopped, ends_by=ends_by).end(now=ends_by) == ends_by
    assert past_maximum(LimitUnit.WORKING_DAYS, due, stopped, ends_by, ends_by, CAL) == (
        sh(2025, 3, 19, 23, 59, 59),
        None,
        ends_by,
    )


def test_overdue_time_is_counted_in_the_limits_own_unit() -> None:
    """Past due, a natural-day limit counts every second, the weekend too. Kills
    timing.x_time_left__mutmut_3 (the unit dropped, so the overdue time counted working days)."""
    due = sh(2025, 3, 14, 12)  # Friday noon
    assert time_left(LimitUnit.NATURAL_DAYS, sh(2025, 3, 16, 12), due, CAL) == -2 * 86_400


def test_a_calendar_swapped_twice_knows_both_earlier_versions() -> None:
    """``superseded`` is true for every version run before the current one, ``has_run`` for
    all of them. Kills working.xǁWorkingCalendarǁreplace__mutmut_8 (the new version not kept
    in the history) and xǁWorkingCalendarǁsuperseded__mutmut_4 (only the first version)."""
    calendar = load_default_calendar()
    first = calendar.version
    new_year = date(2027, 1, 1)
    assert calendar.publish(YearSchedule(year=2027, source="test", off=(new_year,)))
    second = calendar.version
    assert calendar.publish(
        YearSchedule(year=2027, source="test", off=(new_year, date(2027, 1, 4)))
    )
    third = calendar.version
    assert len({first, second, third}) == 3
    assert calendar.superseded(first) and calendar.superseded(second)
    assert not calendar.superseded(third)
    assert all(calendar.has_run(v) for v in (first, second, third))


def test_at_the_due_instant_the_time_left_is_zero_counted_as_past_due() -> None:
    """``time_left`` is negative once past due, and the due instant is past due (the light is
    red exactly then): the zero it gives there carries the past-due sign, which a task view's
    `seconds_left` shows (`-0.0`). Kills timing.x_time_left__mutmut_1 (`now > due_at`: +0.0)."""
    due = sh(2025, 3, 14, 12)  # Friday noon
    for unit in (LimitUnit.NATURAL_DAYS, LimitUnit.WORKING_DAYS, LimitUnit.WORKING_HOURS):
        left = time_left(unit, due, due, CAL)
        assert left == 0 and math.copysign(1.0, left) == -1.0, unit
        assert time_left(unit, sh(2025, 3, 14, 11, 59, 59), due, CAL) > 0
