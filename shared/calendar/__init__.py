"""Official working-day calendar and time limits (Asia/Shanghai)."""

from shared.calendar.limits import Limit, LimitUnit
from shared.calendar.schedule import CalendarData, YearSchedule, load_dir, packaged_data
from shared.calendar.working import (
    DEFAULT_OFFICE_HOURS,
    DEFAULT_PROVISIONAL_YEARS,
    END_OF_DAY,
    CalendarCoverageError,
    OfficePeriod,
    WorkingCalendar,
    YearStatus,
    load_default_calendar,
)

__all__ = [
    "DEFAULT_OFFICE_HOURS",
    "DEFAULT_PROVISIONAL_YEARS",
    "END_OF_DAY",
    "CalendarCoverageError",
    "CalendarData",
    "Limit",
    "LimitUnit",
    "OfficePeriod",
    "WorkingCalendar",
    "YearSchedule",
    "YearStatus",
    "load_default_calendar",
    "load_dir",
    "packaged_data",
]
