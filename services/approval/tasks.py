"""The officer work list: one row per actionable stage, with its light and working time left."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.approval.domain import Calendar, Case, Stage, StageState, task_clock
from services.approval.domain.stages import clock_of
from shared.calendar import CalendarCoverageError
from shared.calendar.limits import Limit
from shared.calendar.timing import WarningPolicy, past_maximum


def task_row(case: Case, stage: Stage) -> dict[str, Any]:
    """What the store keeps per stage so that the work list is one indexed query."""
    suspension = stage.current_suspension
    return {
        "_id": stage.stage_id,
        "case_id": case.case_id,
        "case_version": case.version,
        "case_status": case.status.value,
        "item_code": case.item_code,
        "item_name": case.item_name,
        "stage": stage.kind.value,
        "name": stage.name,
        "department": stage.department,
        "region": stage.region,
        "required_role": stage.required_role,
        "assignee": stage.assignee,
        "signed_in_at": stage.signed_in_at,
        "state": stage.state.value,
        "is_parent": stage.is_parent,
        "case_clock": stage.is_case_clock,
        "parent_stage_id": stage.parent_stage_id,
        "parallel_mode": stage.parallel_mode.value if stage.parallel_mode else None,
        "opened_at": stage.opened_at,
        "due_at": stage.due_at,
        "clock_since": clock_of(stage).running_since(),
        "due_provisional": stage.due_provisional
        or any(s.ends_provisional for s in stage.suspensions if s.ended_at is None),
        "due_calendar": stage.due_calendar,
        "limit": stage.limit.model_dump(mode="json"),
        "suspension_reason": suspension.reason if suspension else None,
        "suspended_at": suspension.started_at if suspension else None,
        "suspension_ends_by": suspension.ends_by if suspension else None,
        "suspension_max": suspension.max_length.model_dump(mode="json")
        if suspension and suspension.max_length
        else None,
        "remaining_s": suspension.remaining_s if suspension else None,
    }


def task_view(
    row: dict[str, Any], *, calendar: Calendar, now: datetime, policy: WarningPolicy
) -> dict[str, Any]:
    hidden = ("_id", "remaining_s", "is_parent", "due_calendar", "clock_since")
    hidden += ("suspension_ends_by", "case_clock")
    view = {k: v for k, v in row.items() if k not in hidden}
    view["stage_id"] = row["_id"]
    view["due_provisional"] = bool(row.get("due_provisional"))
    view["suspended"] = row["state"] == StageState.SUSPENDED.value
    view["suspension_overrun"] = False
    try:
        limit = Limit.model_validate(row["limit"])
        due, stopped, running = past_maximum(
            limit.unit,
            row["due_at"],
            row.get("suspended_at") if view["suspended"] else None,
            row.get("suspension_ends_by"),
            now,
            calendar,
        )
        clock = task_clock(
            calendar,
            limit,
            now,
            due,
            since=running or row.get("clock_since") or row.get("opened_at") or due,
            policy=policy,
            stopped_at=stopped,
        )
        if row.get("suspended_at") is not None and row.get("suspension_max") is not None:
            maximum = Limit.model_validate(row["suspension_max"])
            view["suspension_overrun"] = now > calendar.deadline(row["suspended_at"], maximum)
    except CalendarCoverageError as exc:
        # One task whose time cannot be counted (its year is beyond the provisional horizon)
        # must not hide the officer's whole list: show it without a light, naming the year.
        view.update(light=None, working_days_left=None, hours_left=None, calendar_gap=exc.year)
        return view
    view["light"] = clock.light.value
    view["due_at"] = due  # past the suspension's maximum the clock runs again
    view["working_days_left"] = clock.working_days_left
    view["hours_left"] = clock.hours_left
    return view
