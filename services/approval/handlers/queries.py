"""What officers read: a case and its timeline where they may see it, and their work list."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from services.approval.domain import (
    Calendar,
    Case,
    Forbidden,
    NotFound,
    Officer,
    StageState,
    task_clock,
)
from services.approval.handlers.deps import Deps
from services.approval.ports import TaskQuery
from shared.auth import Principal
from shared.calendar import CalendarCoverageError
from shared.calendar.limits import Limit
from shared.calendar.timing import WarningPolicy, past_maximum
from shared.roles import OFFICERS_AND_ADMIN, Role

# May look at other departments' work lists and cases (supervision, inspection).
OVERSIGHT_ROLES = (Role.SUPERVISOR, Role.INSPECTOR, Role.ADMIN)


def officer_of(principal: Principal) -> Officer:
    if not principal.has_any(*OFFICERS_AND_ADMIN):
        raise Forbidden("requires an officer role")
    return Officer(
        subject=principal.subject,
        department=principal.department,
        region=principal.region,
        roles=principal.roles,
    )


def can_see(principal: Principal, case: Case) -> bool:
    """An officer of a department working the case in its region; a supervisor or inspector of
    a region the case or one of its stages is in (as their work list); an admin, any case."""
    if principal.has_any(Role.ADMIN):
        return True
    regions = {s.region for s in case.stages.values()} | {case.region}
    if principal.has_any(*OVERSIGHT_ROLES):
        return principal.region in regions
    departments = {s.department for s in case.stages.values()} | {case.department}
    return principal.region == case.region and principal.department in departments


async def visible_case(deps: Deps, case_id: str, principal: Principal) -> Case:
    """The case, to an officer who may see it; to anyone else it does not exist."""
    officer_of(principal)
    case = await deps.store.get(case_id)
    if case is None or not can_see(principal, case):
        raise NotFound(f"no case {case_id}")
    return case


async def case_timeline(deps: Deps, case_id: str, principal: Principal) -> dict[str, Any]:
    await visible_case(deps, case_id, principal)
    return {"case_id": case_id, "entries": await deps.store.timeline(case_id)}


async def list_tasks(
    deps: Deps,
    principal: Principal,
    *,
    scope: Literal["department", "mine"],
    department: str | None,
    stage: str | None,
    status: Literal["active", "open", "suspended", "closed"],
    limit: int,
    offset: int,
) -> dict[str, Any]:
    officer_of(principal)
    oversight = principal.has_any(*OVERSIGHT_ROLES)
    if department is not None and department != principal.department and not oversight:
        raise Forbidden("you may only list your own department's tasks")
    if principal.region is None and not oversight:
        raise Forbidden("your token names no region")
    if scope == "mine":
        listed = department
    else:
        listed = department or principal.department
        if listed is None and not oversight:
            raise Forbidden("your token names no department")
    query = TaskQuery(
        department=listed,
        region=None if principal.has_any(Role.ADMIN) else principal.region,
        assignee=principal.subject if scope == "mine" else None,
        stage=stage,
        status=status,
        limit=min(limit, deps.settings.tasks_page_max),
        offset=offset,
    )
    rows, total = await deps.store.tasks(query)
    now = deps.clock.now()
    items = [
        task_view(r, calendar=deps.calendar, now=now, policy=deps.settings.warning_policy())
        for r in rows
    ]
    next_offset = offset + len(items) if offset + len(items) < total else None
    return {
        "items": items,
        "total": total,
        "limit": query.limit,
        "offset": offset,
        "next_offset": next_offset,
    }


def task_view(
    row: dict[str, Any], *, calendar: Calendar, now: datetime, policy: WarningPolicy
) -> dict[str, Any]:
    hidden: tuple[str, ...] = ("_id", "remaining_s", "is_parent", "due_calendar", "clock_since")
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
