"""Time limits (办理时限) as stated in a service's rules."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field


class LimitUnit(StrEnum):
    WORKING_DAYS = "working_days"
    NATURAL_DAYS = "natural_days"
    WORKING_HOURS = "working_hours"


class Limit(BaseModel, frozen=True):
    value: int = Field(gt=0)
    unit: LimitUnit = LimitUnit.WORKING_DAYS
