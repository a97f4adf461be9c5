"""The findings of 电子监察: late pre-review and sign-in, red closed without reason, after-the-fact
entry, implausibly fast handling."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.monitor.domain.policy import FindingPolicy, Status
from services.monitor.domain.stages import StageState
from shared.calendar.timing import (
    DAY_S,
    Calendar,
)
from shared.contracts.events.supervision import FindingKind as FindingKind


@dataclass(frozen=True)
class Finding:
    kind: FindingKind
    detail: str
    at: datetime | None = None  # the rule's instant, for findings a timer raises


def prereview_late(
    opened_at: datetime,
    done_at: datetime,
    calendar: Calendar,
    policy: FindingPolicy,
    stopped_s: float = 0.0,
) -> Finding | None:
    """Pre-review (预审) must end within ``prereview_working_days`` working days of opening; the
    time waiting for the applicant's supplements (``stopped_s``) is the applicant's, not the
    department's."""
    used = calendar.working_seconds_between(opened_at, done_at) - stopped_s
    days = max(used, 0.0) / DAY_S
    if days <= policy.prereview_working_days:
        return None
    return Finding(
        "prereview_late",
        f"pre-review took {days:.2f} working days (limit {policy.prereview_working_days})",
    )


def sign_in_due(opened_at: datetime, calendar: Calendar, policy: FindingPolicy) -> datetime:
    """When a task nobody signed in becomes late (签收 within N office hours of opening)."""
    return calendar.add_working_hours(opened_at, policy.sign_in_working_hours)


def not_signed_in(stage: StageState, now: datetime) -> tuple[StageState, Finding | None]:
    """The sign-in deadline passed with nobody signed in: one finding, at the deadline."""
    if (
        stage.sign_in_due is None
        or stage.signed_in_at is not None
        or stage.late_sign_in_found
        or stage.status is not Status.OPEN
        or now < stage.sign_in_due
    ):
        return stage, None
    found = Finding(
        "late_sign_in",
        f"not signed in by {stage.sign_in_due.isoformat()}, the sign-in deadline",
        at=stage.sign_in_due,
    )
    return stage.model_copy(update={"late_sign_in_found": True}), found


def late_sign_in(
    opened_at: datetime, signed_in_at: datetime, calendar: Calendar, policy: FindingPolicy
) -> Finding | None:
    hours = calendar.working_hours_between(opened_at, signed_in_at)
    if hours <= policy.sign_in_working_hours:
        return None
    return Finding(
        "late_sign_in",
        f"signed in {hours:.1f} office hours after opening "
        f"(limit {policy.sign_in_working_hours:g})",
    )


def closed_red_without_reason(stage: StageState) -> Finding | None:
    """``stage`` is already closed; a late close needs a recorded reason."""
    assert stage.closed_at is not None
    late = stage.red_at is not None or stage.closed_at > stage.due_at
    if not late or (stage.reason or "").strip():
        return None
    kind: FindingKind = (
        "rectification_late" if stage.kind == "rectification" else "closed_red_without_reason"
    )
    return Finding(
        kind,
        f"closed {stage.closed_at.isoformat()} after due {stage.due_at.isoformat()}"
        " without a recorded reason",
    )


def after_the_fact(claimed: datetime, arrived: datetime, policy: FindingPolicy) -> Finding | None:
    """Work typed in long after it claims to have happened (事后录入) defeats supervision."""
    lag = (arrived - claimed).total_seconds()
    if lag <= policy.after_the_fact_s:
        return None
    return Finding("after_the_fact_entry", f"recorded {lag / 3600:.1f} h after the time it claims")


def implausibly_fast(
    stage: StageState, calendar: Calendar, policy: FindingPolicy
) -> Finding | None:
    assert stage.closed_at is not None
    if stage.stage not in policy.fast_close_stages or stage.outcome == "cancelled":
        return None
    start = stage.signed_in_at or stage.opened_at
    took = calendar.working_seconds_between(start, stage.closed_at)
    if took >= policy.fast_close_s:
        return None
    return Finding("implausibly_fast", f"{stage.stage} closed {took:.0f} s after it started")


def handling_working_days(stage: StageState, calendar: Calendar) -> float:
    assert stage.closed_at is not None
    return calendar.working_seconds_between(stage.opened_at, stage.closed_at) / DAY_S


def on_time(stage: StageState) -> bool:
    assert stage.closed_at is not None
    return stage.closed_at <= stage.due_at
