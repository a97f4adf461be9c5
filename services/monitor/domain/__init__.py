"""Pure supervision rules: lights, the escalation ladder and the findings of 电子监察.

No I/O and no clock reads: every rule receives the instant it judges and the working calendar.
``policy``: statuses, rungs and limits; ``stages``: a supervised stage's life; ``ladder``: lights
and escalation; ``findings``: what supervision records.
"""

from __future__ import annotations

from services.monitor.domain.findings import (
    Finding,
    FindingKind,
    after_the_fact,
    closed_red_without_reason,
    handling_working_days,
    implausibly_fast,
    late_sign_in,
    not_signed_in,
    on_time,
    prereview_late,
    sign_in_due,
)
from services.monitor.domain.ladder import Transition, advance, next_due, worst
from services.monitor.domain.policy import (
    DEFAULT_LADDER,
    DEFAULT_STAGE_LADDERS,
    PROMISED_LADDER,
    Card,
    FindingPolicy,
    LadderPolicy,
    Rung,
    Status,
    rung_time,
)
from services.monitor.domain.stages import (
    StageState,
    change_due,
    close,
    open_stage,
    overrun,
    resume,
    stop_ends,
    suspend,
)
from shared.calendar.timing import DAY_S, Calendar, WarningPolicy
from shared.contracts.common import Light

__all__ = [
    "Calendar",
    "Card",
    "DAY_S",
    "DEFAULT_LADDER",
    "DEFAULT_STAGE_LADDERS",
    "Finding",
    "FindingKind",
    "FindingPolicy",
    "LadderPolicy",
    "Light",
    "PROMISED_LADDER",
    "Rung",
    "StageState",
    "Status",
    "Transition",
    "WarningPolicy",
    "advance",
    "after_the_fact",
    "change_due",
    "close",
    "closed_red_without_reason",
    "handling_working_days",
    "implausibly_fast",
    "late_sign_in",
    "next_due",
    "not_signed_in",
    "on_time",
    "open_stage",
    "overrun",
    "prereview_late",
    "resume",
    "rung_time",
    "sign_in_due",
    "stop_ends",
    "suspend",
    "worst",
]
