"""The holidays the national regulation itself fixes, for years without a published schedule.

《全国年节及纪念日放假办法》 as revised in 2024 (in force from 2025): New Year's Day 1 day,
Spring Festival 4 (lunar New Year's Eve to the 3rd day), Qingming 1, Labour Day 2 (May 1-2),
Dragon Boat 1, Mid-Autumn 1, National Day 3 (October 1-3). Weekend make-up days and substitute
days are decided only by each year's notice, so a provisional year has none. Lunar dates and the
Qingming solar term come from the maintained ``holidays`` package.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import holidays

# The package's en_US names of exactly the days the regulation fixes; its substitute and
# "observed" days carry other names and are left out.
STATUTORY_NAMES = frozenset(
    {
        "New Year's Day",
        "Chinese New Year's Eve",
        "Chinese New Year (Spring Festival)",
        "Tomb-Sweeping Day",
        "Labor Day",
        "Dragon Boat Festival",
        "Mid-Autumn Festival",
        "National Day",
    }
)
FIRST_YEAR_OF_THE_2024_RULES = 2025


@lru_cache(maxsize=32)
def statutory_holidays(year: int) -> frozenset[date]:
    if year < FIRST_YEAR_OF_THE_2024_RULES:
        raise ValueError(f"{year} predates the regulation as revised in 2024; use its schedule")
    table = holidays.country_holidays("CN", years=year, observed=False, language="en_US")
    days = frozenset(d for d in table if STATUTORY_NAMES & set(table.get_list(d)))
    # 13 days, 12 when Mid-Autumn falls inside National Day (2028, 2031)
    if not 12 <= len(days) <= 13:  # pragma: no cover - guards against a changed package
        raise AssertionError(f"expected 12-13 statutory holidays in {year}, got {sorted(days)}")
    return days
