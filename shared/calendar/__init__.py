"""Official working-day calendar and time limits (Asia/Shanghai)."""

from shared.calendar.limits import Limit, LimitUnit
from shared.calendar.working import (
    DEFAULT_OFFICE_HOURS,
    END_OF_DAY,
    CalendarCoverageError,
    CalendarData,
    OfficePeriod,
    WorkingCalendar,
    YearSchedule,
    load_default_calendar,
)

__all__ = [
    "DEFAULT_OFFICE_HOURS",
    "END_OF_DAY",
    "CalendarCoverageError",
    "CalendarData",
    "Limit",
    "LimitUnit",
    "OfficePeriod",
    "WorkingCalendar",
    "YearSchedule",
    "load_default_calendar",
]
