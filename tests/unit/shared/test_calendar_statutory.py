"""The packaged official schedules agree with the maintained ``holidays`` package, day by day."""

from datetime import date, timedelta

import holidays
import pytest

from shared.calendar import WorkingCalendar, YearSchedule, packaged_data
from shared.calendar.statutory import statutory_holidays

DATA = packaged_data()


def _working_days_by_package(year: int) -> dict[date, bool]:
    table = holidays.country_holidays("CN", years=year)
    d, out = date(year, 1, 1), {}
    while d.year == year:
        out[d] = table.is_working_day(d)
        d += timedelta(days=1)
    return out


def _differences(calendar: WorkingCalendar, year: int) -> list[date]:
    expected = _working_days_by_package(year)
    return [d for d, working in expected.items() if calendar.is_working_day(d) is not working]


@pytest.mark.parametrize("year", sorted(DATA.years))
def test_every_official_year_agrees_with_the_holidays_package(year: int) -> None:
    assert _differences(WorkingCalendar(DATA), year) == []


def test_the_cross_check_fails_on_one_changed_date() -> None:
    schedule = DATA.years[2026]
    moved = YearSchedule(
        **{
            **schedule.model_dump(),
            "off": tuple(d for d in schedule.off if d != date(2026, 10, 7)),
        }
    )
    assert _differences(WorkingCalendar(DATA.with_year(moved)), 2026) == [date(2026, 10, 7)]


def test_statutory_holidays_exclude_substitute_and_observed_days() -> None:
    days_2027 = statutory_holidays(2027)
    assert len(days_2027) == 13
    assert date(2027, 2, 9) not in days_2027  # the package's "observed" day
    assert date(2027, 10, 4) not in days_2027
    assert len(statutory_holidays(2028)) == 12  # Mid-Autumn inside National Day
    with pytest.raises(ValueError, match="predates"):
        statutory_holidays(2024)
