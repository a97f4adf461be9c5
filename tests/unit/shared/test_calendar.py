import json
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from pydantic import ValidationError

from shared.calendar import (
    CalendarCoverageError,
    Limit,
    LimitUnit,
    WorkingCalendar,
    YearSchedule,
    load_default_calendar,
    load_dir,
    packaged_data,
)
from shared.clock import SHANGHAI

CAL = load_default_calendar()


def sh(y: int, m: int, d: int, hh: int = 0, mm: int = 0, ss: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, ss, tzinfo=SHANGHAI)


def days(first: str, last: str) -> set[date]:
    d, end = date.fromisoformat(first), date.fromisoformat(last)
    out = set()
    while d <= end:
        out.add(d)
        d += timedelta(days=1)
    return out


# The schedules as published (DOMAIN.md), written out independently of the data file.
OFF = (
    days("2025-01-01", "2025-01-01")
    | days("2025-01-28", "2025-02-04")
    | days("2025-04-04", "2025-04-06")
    | days("2025-05-01", "2025-05-05")
    | days("2025-05-31", "2025-06-02")
    | days("2025-10-01", "2025-10-08")
    | days("2026-01-01", "2026-01-03")
    | days("2026-02-15", "2026-02-23")
    | days("2026-04-04", "2026-04-06")
    | days("2026-05-01", "2026-05-05")
    | days("2026-06-19", "2026-06-21")
    | days("2026-09-25", "2026-09-27")
    | days("2026-10-01", "2026-10-07")
)
EXTRA_WORKING = {
    date.fromisoformat(d)
    for d in (
        "2025-01-26 2025-02-08 2025-04-27 2025-09-28 2025-10-11 "
        "2026-01-04 2026-02-14 2026-02-28 2026-05-09 2026-09-20 2026-10-10"
    ).split()
}


def test_every_day_of_2025_and_2026_matches_the_official_schedule() -> None:
    for d in sorted(days("2025-01-01", "2026-12-31")):
        expected = d in EXTRA_WORKING or (d.weekday() < 5 and d not in OFF)
        assert CAL.is_working_day(d) is expected, d


@pytest.mark.parametrize(
    ("day", "working"),
    [
        ("2025-01-26", True),  # Sunday, make-up working day
        ("2025-01-27", True),
        ("2025-01-28", False),
        ("2025-02-04", False),
        ("2025-02-05", True),
        ("2025-02-08", True),  # Saturday, make-up working day
        ("2025-09-28", True),
        ("2025-09-30", True),
        ("2025-10-01", False),
        ("2025-10-08", False),  # Wednesday inside the National Day holiday
        ("2025-10-09", True),
        ("2025-10-11", True),  # Saturday, make-up working day
        ("2025-10-12", False),
        ("2026-01-03", False),  # Saturday inside New Year
        ("2026-01-04", True),  # Sunday, make-up working day
        ("2026-02-14", True),  # Saturday, make-up working day
        ("2026-02-15", False),
        ("2026-02-23", False),  # Monday inside Spring Festival
        ("2026-02-24", True),
        ("2026-02-28", True),  # Saturday, make-up working day
        ("2026-06-19", False),
        ("2026-09-20", True),  # Sunday, make-up working day
        ("2026-09-25", False),
        ("2026-10-07", False),
        ("2026-10-08", True),
        ("2026-10-10", True),  # Saturday, make-up working day
        ("2026-10-11", False),
    ],
)
def test_holiday_and_make_up_day_edges(day: str, working: bool) -> None:
    assert CAL.is_working_day(date.fromisoformat(day)) is working


def test_working_day_of_an_instant_is_taken_in_shanghai() -> None:
    # 2025-01-27 17:00 UTC is already 2025-01-28 (Spring Festival) in Shanghai.
    assert CAL.is_working_day(datetime(2025, 1, 27, 17, tzinfo=UTC)) is False


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        ("2025-03-03", 0, "2025-03-03"),
        ("2025-03-03", 1, "2025-03-04"),  # the start day is not counted even if working
        ("2025-01-24", 1, "2025-01-26"),  # Friday -> make-up Sunday
        ("2025-01-26", 1, "2025-01-27"),
        ("2025-01-27", 1, "2025-02-05"),  # across Spring Festival
        ("2025-01-27", 2, "2025-02-06"),
        ("2025-01-30", 1, "2025-02-05"),  # start on a holiday
        ("2025-09-26", 1, "2025-09-28"),
        ("2025-09-30", 1, "2025-10-09"),  # across National Day
        ("2025-09-30", 3, "2025-10-11"),
        ("2025-09-30", 4, "2025-10-13"),
        ("2025-01-01", 248, "2025-12-31"),
        ("2025-12-31", 1, "2026-01-04"),  # across the year end onto a make-up Sunday
        ("2026-02-13", 1, "2026-02-14"),
        ("2026-02-13", 2, "2026-02-24"),  # across Spring Festival 2026
        ("2026-02-27", 1, "2026-02-28"),
        ("2026-09-18", 1, "2026-09-20"),
        ("2026-09-24", 1, "2026-09-28"),  # across Mid-Autumn
        ("2026-09-30", 1, "2026-10-08"),  # across National Day 2026
        ("2026-09-30", 3, "2026-10-10"),
    ],
)
def test_add_working_days(start: str, n: int, expected: str) -> None:
    assert CAL.add_working_days(date.fromisoformat(start), n) == date.fromisoformat(expected)


def test_add_working_days_from_an_instant_uses_the_shanghai_date() -> None:
    # 2025-01-26 17:00 UTC = 2025-01-27 01:00 in Shanghai
    assert CAL.add_working_days(datetime(2025, 1, 26, 17, tzinfo=UTC), 1) == date(2025, 2, 5)


def test_add_working_days_refuses_negative_n() -> None:
    with pytest.raises(ValueError):
        CAL.add_working_days(date(2025, 3, 3), -1)


def test_working_days_between() -> None:
    assert CAL.working_days_between(date(2025, 1, 27), date(2025, 2, 5)) == 1
    assert CAL.working_days_between(date(2025, 1, 1), date(2025, 12, 31)) == 248
    assert CAL.working_days_between(date(2026, 1, 1), date(2026, 12, 31)) == 248
    assert CAL.working_days_between(date(2025, 12, 31), date(2026, 1, 4)) == 1
    assert CAL.working_days_between(date(2025, 3, 3), date(2025, 3, 3)) == 0
    assert CAL.working_days_between(date(2025, 3, 5), date(2025, 3, 3)) == 0


covered_dates = st.dates(min_value=date(2025, 1, 1), max_value=date(2026, 6, 30))


@given(start=covered_dates, n=st.integers(min_value=0, max_value=120))
def test_between_counts_what_add_added(start: date, n: int) -> None:
    end = CAL.add_working_days(start, n)
    assert CAL.working_days_between(start, end) == n
    assert n == 0 or CAL.is_working_day(end)


# Coverage: official years, provisional years, the horizon --------------------------------------


@pytest.mark.parametrize("year", [2024, 2028])
def test_a_year_outside_the_horizon_is_never_guessed(year: int) -> None:
    with pytest.raises(CalendarCoverageError) as caught:
        CAL.is_working_day(date(year, 6, 1))
    assert caught.value.year == year
    assert f"schedule for {year} is neither published nor provisional" in str(caught.value)
    assert "egov calendar publish" in str(caught.value)


def test_computations_reaching_beyond_the_horizon_raise() -> None:
    with pytest.raises(CalendarCoverageError, match="2028"):
        CAL.add_working_days(date(2027, 12, 20), 20)
    with pytest.raises(CalendarCoverageError, match="2028"):
        CAL.deadline(sh(2027, 12, 28, 10), Limit(value=10))
    with pytest.raises(CalendarCoverageError, match="2028"):
        CAL.working_days_between(date(2027, 12, 1), date(2028, 1, 5))
    with pytest.raises(CalendarCoverageError, match="2024"):
        CAL.add_working_seconds(sh(2024, 12, 31, 12), 60)
    assert isinstance(CalendarCoverageError(2028), ValueError)


def test_the_horizon_is_configurable() -> None:
    assert CAL.horizon_year == 2027
    assert WorkingCalendar(CAL.data, provisional_years=2).horizon_year == 2028
    strict = WorkingCalendar(CAL.data, provisional_years=0)
    with pytest.raises(CalendarCoverageError, match="2027"):
        strict.add_working_days(date(2026, 12, 31), 1)
    with pytest.raises(ValueError, match="provisional_years"):
        WorkingCalendar(CAL.data, provisional_years=-1)


def test_days_not_needed_are_not_touched() -> None:
    # The start day is not counted and [a, b) ending at midnight does not touch b's day.
    assert CAL.add_working_days(date(2024, 12, 31), 1) == date(2025, 1, 2)
    assert CAL.working_days_between(date(2024, 12, 31), date(2025, 1, 2)) == 1
    assert CAL.add_working_days(date(2026, 12, 30), 1) == date(2026, 12, 31)
    assert CAL.working_seconds_between(sh(2026, 12, 31, 12), sh(2027, 1, 1)) == 12 * 3600


# The statutory holidays of the regulation as revised in 2024, written out from DOMAIN.md (2027)
# and from the lunar dates of 2028 (New Year Jan 26, Dragon Boat May 28, Mid-Autumn Oct 3).
STATUTORY_2027 = (
    days("2027-01-01", "2027-01-01")
    | days("2027-02-05", "2027-02-08")
    | {date(2027, 4, 5), date(2027, 5, 1), date(2027, 5, 2), date(2027, 6, 9), date(2027, 9, 15)}
    | days("2027-10-01", "2027-10-03")
)
STATUTORY_2028 = (
    days("2028-01-01", "2028-01-01")
    | days("2028-01-25", "2028-01-28")
    | {date(2028, 4, 4), date(2028, 5, 1), date(2028, 5, 2), date(2028, 5, 28)}
    | days("2028-10-01", "2028-10-03")  # Mid-Autumn falls on Oct 3: no extra day
)
TWO_YEARS = WorkingCalendar(CAL.data, provisional_years=2)


@pytest.mark.parametrize(("year", "statutory"), [(2027, STATUTORY_2027), (2028, STATUTORY_2028)])
def test_a_provisional_year_has_the_statutory_holidays_and_weekends_only(
    year: int, statutory: set[date]
) -> None:
    for d in sorted(days(f"{year}-01-01", f"{year}-12-31")):
        expected = d.weekday() < 5 and d not in statutory
        assert TWO_YEARS.is_working_day(d) is expected, d
        assert TWO_YEARS.is_provisional_year(d.year)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        ("2027-02-05", False),  # Friday, lunar New Year's Eve
        ("2027-02-08", False),  # Monday, third day of the new year
        ("2027-02-09", True),  # no substitute day before publication
        ("2027-02-20", False),  # no make-up Saturday before publication
        ("2027-04-05", False),  # Qingming, Monday
        ("2027-05-03", True),  # Labour Day is 2 days; 3-5 are decided only by the notice
        ("2027-06-09", False),
        ("2027-09-15", False),
        ("2027-10-04", True),  # National Day is 3 days by law
    ],
)
def test_provisional_2027_edges(day: str, working: bool) -> None:
    assert CAL.is_working_day(date.fromisoformat(day)) is working


def test_deadlines_across_the_year_boundary_are_provisional() -> None:
    assert CAL.add_working_days(date(2026, 12, 30), 3) == date(2027, 1, 5)  # Jan 1 off
    assert CAL.add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 4)
    assert CAL.working_days_between(date(2026, 12, 1), date(2027, 1, 5)) == 24
    due = CAL.deadline(sh(2026, 12, 28, 10), Limit(value=10))
    assert due == sh(2027, 1, 12, 23, 59, 59)
    assert CAL.touches_provisional(sh(2026, 12, 28, 10), due)
    assert not CAL.touches_provisional(sh(2026, 12, 1), sh(2026, 12, 31, 23, 59, 59))
    assert CAL.is_provisional_year(2027) and not CAL.is_provisional_year(2026)


def test_year_status_lists_official_and_provisional_years() -> None:
    status = {s.year: s.describe() for s in CAL.year_status()}
    assert status[2025].startswith("official ") and "国办发明电〔2024〕12号" in status[2025]
    assert status[2026].startswith("official ")
    assert status[2027] == "provisional"
    assert set(status) == {2025, 2026, 2027}


def test_coverage_reporting() -> None:
    assert CAL.covered_years == (2025, 2026)
    assert CAL.last_covered_date() == date(2026, 12, 31)
    assert CAL.coverage_days_left(date(2026, 12, 1)) == 30
    assert CAL.coverage_days_left(date(2027, 1, 1)) == -1


# Publication at run time ---------------------------------------------------------------------

FIXTURE_2027 = YearSchedule(
    year=2027,
    source="test fixture, not an official schedule",
    published=date(2026, 12, 22),
    off=tuple(sorted(STATUTORY_2027 | days("2027-02-09", "2027-02-11"))),
    extra_working_days=(date(2027, 2, 20),),
)


def test_publishing_a_year_swaps_the_calendar_in_place() -> None:
    calendar = load_default_calendar()
    before = calendar.version
    assert calendar.is_working_day(date(2027, 2, 9)) is True
    assert calendar.publish(FIXTURE_2027) is True
    assert calendar.version != before and calendar.version.startswith("2027.")
    assert calendar.is_working_day(date(2027, 2, 9)) is False
    assert calendar.is_working_day(date(2027, 2, 20)) is True  # make-up Saturday
    assert not calendar.is_provisional_year(2027)
    assert calendar.horizon_year == 2028
    assert calendar.publish(FIXTURE_2027) is False  # already in force
    assert load_default_calendar().version == before  # each caller owns its calendar


def test_the_version_depends_on_the_schedules_only() -> None:
    a, b = load_default_calendar(), load_default_calendar()
    assert a.version == b.version == CAL.version
    a.publish(FIXTURE_2027)
    b.publish(FIXTURE_2027)
    assert a.version == b.version


def test_packaged_schedules_cite_their_sources() -> None:
    data = packaged_data()
    assert sorted(data.years) == [2025, 2026]
    assert "国办发明电〔2024〕12号" in data.years[2025].source
    assert data.years[2026].published == date(2025, 11, 4)
    assert CAL.version == data.version


def test_a_data_folder_and_its_validation(tmp_path: Path) -> None:
    schedule: dict[str, Any] = {
        "year": 2030,
        "source": "test",
        "off": ["2030-01-01"],
        "extra_working_days": [],
    }
    (tmp_path / "2030.json").write_text(json.dumps(schedule), encoding="utf-8")
    calendar = WorkingCalendar(load_dir(tmp_path))
    assert calendar.covered_years == (2030,)
    assert calendar.is_working_day(date(2030, 1, 1)) is False
    assert calendar.is_working_day(date(2030, 1, 2)) is True

    for change, message in (
        ({"extra_working_days": ["2030-01-02"]}, "not a Saturday or Sunday"),
        ({"extra_working_days": ["2031-01-04"]}, "is not in 2030"),
        ({"off": ["2029-12-31"]}, "is not in 2030"),
        ({"off": ["2030-01-05"], "extra_working_days": ["2030-01-05"]}, "both as off"),
        ({"source": "  "}, "source"),
    ):
        with pytest.raises(ValidationError, match=message):
            YearSchedule.model_validate({**schedule, **change})


# Deadlines ----------------------------------------------------------------------------------


def test_limit_defaults_to_working_days_and_must_be_positive() -> None:
    assert Limit(value=5).unit is LimitUnit.WORKING_DAYS
    with pytest.raises(ValidationError):
        Limit(value=0)


def test_working_days_deadline_ends_the_nth_working_day_in_shanghai() -> None:
    due = CAL.deadline(sh(2025, 9, 30, 10), Limit(value=3))
    assert due == sh(2025, 10, 11, 23, 59, 59)
    assert due.utcoffset() == timedelta(hours=8)
    # 2025-09-29 20:00 UTC is already 2025-09-30 in Shanghai
    assert CAL.deadline(datetime(2025, 9, 29, 20, tzinfo=UTC), Limit(value=3)) == due
    assert CAL.deadline(sh(2026, 2, 13, 9), Limit(value=2)) == sh(2026, 2, 24, 23, 59, 59)


def test_natural_days_deadline_ignores_holidays() -> None:
    limit = Limit(value=10, unit=LimitUnit.NATURAL_DAYS)
    assert CAL.deadline(sh(2025, 9, 30, 10), limit) == sh(2025, 10, 10, 23, 59, 59)
    # Natural days need no schedule, so even a year beyond the horizon is fine.
    assert CAL.deadline(sh(2027, 12, 30, 10), limit) == sh(2028, 1, 9, 23, 59, 59)


def test_working_hours_deadline() -> None:
    limit = Limit(value=4, unit=LimitUnit.WORKING_HOURS)
    # 16:00-17:30 on Sep 30, then 09:00-11:30 after National Day
    assert CAL.deadline(sh(2025, 9, 30, 16), limit) == sh(2025, 10, 9, 11, 30)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        CAL.deadline(datetime(2025, 3, 3, 9), Limit(value=1))


# Working hours (office hours 09:00-12:00, 13:30-17:30) -----------------------------------------


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        (sh(2025, 3, 4, 9), 3, sh(2025, 3, 4, 12)),  # ends exactly at lunch
        (sh(2025, 3, 4, 11), 2, sh(2025, 3, 4, 14, 30)),  # across lunch
        (sh(2025, 3, 4, 12, 15), 1, sh(2025, 3, 4, 14, 30)),  # starts in lunch
        (sh(2025, 3, 4, 7), 1, sh(2025, 3, 4, 10)),  # starts before office hours
        (sh(2025, 3, 4, 20), 0.5, sh(2025, 3, 5, 9, 30)),  # starts in the evening
        (sh(2025, 3, 7, 17), 1, sh(2025, 3, 10, 9, 30)),  # Friday evening -> Monday
        (sh(2025, 3, 8, 10), 1, sh(2025, 3, 10, 10)),  # starts on a Saturday
        (sh(2025, 3, 3, 9), 14, sh(2025, 3, 4, 17, 30)),  # two full days of 7 hours
        (sh(2025, 3, 3, 9), 7.5, sh(2025, 3, 4, 9, 30)),
        (sh(2025, 1, 27, 17), 1, sh(2025, 2, 5, 9, 30)),  # across Spring Festival
        (sh(2025, 1, 25, 10), 1, sh(2025, 1, 26, 10)),  # Saturday -> make-up Sunday
        (sh(2025, 3, 4, 10), 0, sh(2025, 3, 4, 10)),
    ],
)
def test_add_working_hours(start: datetime, hours: float, expected: datetime) -> None:
    assert CAL.add_working_hours(start, hours) == expected


def test_working_hours_between() -> None:
    assert CAL.office_hours_per_day == 7
    assert CAL.working_hours_between(sh(2025, 3, 7, 16), sh(2025, 3, 10, 10)) == 2.5
    assert CAL.working_hours_between(sh(2025, 3, 4, 11), sh(2025, 3, 4, 14)) == 1.5
    assert CAL.working_hours_between(sh(2025, 3, 4, 12), sh(2025, 3, 4, 13, 30)) == 0
    assert CAL.working_hours_between(sh(2025, 9, 30, 9), sh(2025, 10, 10, 9)) == 14
    assert CAL.working_hours_between(sh(2025, 3, 4, 10), sh(2025, 3, 4, 9)) == 0


def test_office_hours_are_configurable() -> None:
    calendar = WorkingCalendar(
        CAL.data, office_hours=((time(8, 30), time(12)), (time(14), time(18)))
    )
    assert calendar.office_hours_per_day == 7.5
    assert calendar.add_working_hours(sh(2025, 3, 4, 11), 2) == sh(2025, 3, 4, 15)
    with pytest.raises(ValueError, match="office_hours"):
        WorkingCalendar(CAL.data, office_hours=((time(13), time(17)), (time(9), time(12))))
    with pytest.raises(ValueError, match="office_hours"):
        WorkingCalendar(CAL.data, office_hours=())


# Suspension: keep the remaining working time and push the deadline out on resume ------------


def test_suspension_pushes_the_deadline_by_the_working_time_lost() -> None:
    opened = sh(2025, 9, 29, 9)
    due = CAL.deadline(opened, Limit(value=5))
    assert due == sh(2025, 10, 13, 23, 59, 59)
    suspended, resumed = sh(2025, 9, 30, 12), sh(2025, 10, 10, 12)
    remaining = CAL.working_seconds_between(suspended, due)
    # Two working days were lost (half of Sep 30, Oct 9, half of Oct 10).
    assert CAL.add_working_seconds(resumed, remaining) == sh(2025, 10, 15, 23, 59, 59)


def test_working_seconds_count_whole_working_days_only() -> None:
    assert CAL.working_seconds_between(sh(2025, 1, 27, 12), sh(2025, 2, 5, 6)) == 18 * 3600
    assert CAL.working_seconds_between(sh(2025, 3, 8), sh(2025, 3, 10)) == 0  # a weekend
    assert CAL.add_working_seconds(sh(2025, 3, 8, 10), 3600) == sh(2025, 3, 10, 1)
    # The first instant with that much working time: the end of Friday, not Monday 00:00.
    assert CAL.add_working_seconds(sh(2025, 3, 7, 12), 12 * 3600) == sh(2025, 3, 8)
    with pytest.raises(ValueError):
        CAL.add_working_seconds(sh(2025, 3, 7, 12), -1)


instants = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2026, 12, 31, 23, 59, 59)
).map(lambda dt: dt.replace(tzinfo=SHANGHAI))


def _inside_a_working_day(dt: datetime) -> bool:
    local = dt.astimezone(SHANGHAI)
    return CAL.is_working_day(local.date()) and local.timetz() != time(0, tzinfo=SHANGHAI)


@given(a=instants, b=instants)
def test_add_working_seconds_inverts_working_seconds_between(a: datetime, b: datetime) -> None:
    a, b = min(a, b), max(a, b)
    if not _inside_a_working_day(b):
        b = datetime.combine(CAL.add_working_days(b, 1), time(12), tzinfo=SHANGHAI)
        if b.year > 2026:
            return
    assert CAL.add_working_seconds(a, CAL.working_seconds_between(a, b)) == b


@given(
    a=instants.filter(lambda dt: dt.year == 2025).map(lambda dt: dt.astimezone(UTC)),
    seconds=st.floats(min_value=0, max_value=200 * 86400).map(lambda s: round(s, 6)),
)
def test_working_seconds_between_measures_what_was_added(a: datetime, seconds: float) -> None:
    end = CAL.add_working_seconds(a, seconds)
    assert end >= a
    assert end.utcoffset() == timedelta(hours=8)
    assert CAL.working_seconds_between(a, end) == pytest.approx(seconds, abs=1e-6)


@given(a=instants, b=instants, c=instants)
def test_working_time_is_additive(a: datetime, b: datetime, c: datetime) -> None:
    a, b, c = sorted((a, b, c))
    whole = CAL.working_seconds_between(a, c)
    parts = CAL.working_seconds_between(a, b) + CAL.working_seconds_between(b, c)
    assert whole == pytest.approx(parts, abs=1e-6)
    assert CAL.working_hours_between(a, c) == pytest.approx(
        CAL.working_hours_between(a, b) + CAL.working_hours_between(b, c)
    )
    assert whole <= (c - a).total_seconds()


office_instants = st.builds(
    lambda d, minutes: (
        datetime.combine(d, time(9), tzinfo=SHANGHAI)
        + timedelta(minutes=minutes + (90 if minutes > 180 else 0))
    ),
    st.dates(min_value=date(2025, 1, 1), max_value=date(2026, 11, 30)).filter(CAL.is_working_day),
    st.integers(min_value=1, max_value=7 * 60),
)


@given(a=instants, b=office_instants)
def test_add_working_hours_inverts_working_hours_between(a: datetime, b: datetime) -> None:
    assume(a <= b)
    hours = CAL.working_hours_between(a, b)
    assert CAL.add_working_hours(a, hours) == b
