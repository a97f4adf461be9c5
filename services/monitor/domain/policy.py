"""Statuses and policies of supervision: the escalation ladder's rungs and the findings' limits."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.calendar.timing import (
    DAY_S,
    Calendar,
)


class Status(StrEnum):
    OPEN = "open"
    SUSPENDED = "suspended"
    CLOSED = "closed"


Card = Literal["none", "yellow", "red"]


class Rung(BaseModel):
    """One rung of the 催办/督办 ladder, reached ``after_working_days`` after the deadline."""

    model_config = ConfigDict(frozen=True)

    after_working_days: float = Field(ge=0)
    recipients: tuple[str, ...]
    card: Card = "none"
    credit_incident: bool = False


DEFAULT_LADDER: tuple[Rung, ...] = (
    Rung(after_working_days=0, recipients=("handler",)),
    Rung(after_working_days=1, recipients=("section_chief",), card="yellow"),
    Rung(after_working_days=2, recipients=("department_head",), card="red"),
    Rung(after_working_days=3, recipients=("inspection_office",), card="red", credit_incident=True),
)


# A broken promise (承诺时限) is the department's own business: reminded and escalated within it.
# A broken statutory limit (法定时限) climbs the default ladder to the discipline-inspection office.
PROMISED_LADDER: tuple[Rung, ...] = (
    Rung(after_working_days=0, recipients=("section_chief",)),
    Rung(after_working_days=1, recipients=("department_head",), card="yellow"),
)
DEFAULT_STAGE_LADDERS: dict[str, tuple[Rung, ...]] = {"case_promised": PROMISED_LADDER}


class LadderPolicy(BaseModel):
    model_config = ConfigDict(frozen=True)

    default: tuple[Rung, ...] = DEFAULT_LADDER
    by_department: dict[str, tuple[Rung, ...]] = Field(default_factory=dict)
    by_item: dict[str, tuple[Rung, ...]] = Field(default_factory=dict)
    by_stage: dict[str, tuple[Rung, ...]] = Field(
        default_factory=lambda: dict(DEFAULT_STAGE_LADDERS),
        description="per kind of stage, e.g. the case's promised limit (case_promised)",
    )

    def ladder_for(self, department: str, item_code: str, stage: str = "") -> tuple[Rung, ...]:
        """A kind's own ladder (the case's limits) wins; then the item's, then its department's,
        then the default."""
        if stage in self.by_stage:
            return self.by_stage[stage]
        if item_code in self.by_item:
            return self.by_item[item_code]
        return self.by_department.get(department, self.default)


class FindingPolicy(BaseModel):
    model_config = ConfigDict(frozen=True)

    prereview_working_days: int = 2
    sign_in_working_hours: float = 4.0
    after_the_fact_s: float = 86_400.0
    fast_close_s: float = 60.0
    fast_close_stages: tuple[str, ...] = ("review", "decide")


def rung_time(due_at: datetime, rung: Rung, calendar: Calendar) -> datetime:
    return calendar.add_working_seconds(due_at, rung.after_working_days * DAY_S)
