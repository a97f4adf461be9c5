"""The official holiday schedule of a year, published."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from shared.contracts.common import (
    AwareDatetime,
    JsonObject,
)
from shared.contracts.envelope import EventData
from shared.contracts.events.topics import T_CALENDAR


class CalendarPublished(EventData):
    event_type = "gov.egov.calendar.published.v1"
    topic = T_CALENDAR
    key_field = "year"
    summary = "an official holiday schedule was published for a year (operator action)"

    year: int = Field(ge=1949, le=2200)
    source: str = Field(min_length=1, description="the State Council notice")
    published: date | None = None
    off: list[date]
    extra_working_days: list[date] = Field(default_factory=list)
    calendar_version: str = Field(description="the calendar version once this year is added")
    published_at: AwareDatetime
    audit: JsonObject | None = Field(
        None,
        description="this publication's entry in the calendar's keyed audit chain: who published "
        "it (actor, roles), what it added, linked to the previous publication under the audit "
        "key (shared/calendar/audit.py); absent on schedules published before it was kept",
    )
