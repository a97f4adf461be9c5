"""Per-officer figures (经办人员): each officer's handling stages in a period, for their
department head (their own department) and supervisors (their region and the regions under
it); nobody else, admins included: an officer's record is a personnel matter, not an
operations one. Pure: the counters come from the officer rollups (store.by_officer)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from services.monitor.history.assess import Counters, ratio
from services.monitor.history.facts import RUNGS
from services.monitor.history.model import covers
from shared.identity import Principal
from shared.roles import Role

VIEWERS = (Role.DEPARTMENT_HEAD, Role.SUPERVISOR)


class NotAllowed(Exception):
    """The principal may not see these officers' figures (the message says why)."""


def scope(
    principal: Principal, department: str | None, region: str | None
) -> tuple[str | None, str | None]:
    """(department, region) the principal may see of what was asked: a supervisor their region
    (or a region under it), a department head their own department only."""
    if principal.has_any(Role.SUPERVISOR):
        if principal.region is None:
            raise NotAllowed("your token names no region")
        if region is not None and not covers(principal.region, region):
            raise NotAllowed(f"region {region} lies outside your region {principal.region}")
        return department, region or principal.region
    if principal.has_any(Role.DEPARTMENT_HEAD):
        if principal.department is None:
            raise NotAllowed("your token names no department")
        if department is not None and department != principal.department:
            raise NotAllowed(f"department {department} is not yours ({principal.department})")
        return principal.department, region
    raise NotAllowed("officers' figures are for their department heads and supervisors")


def _g(c: Counters, name: str) -> float:
    return float(c.get(name, 0))


def officer_figures(department: str, officer: str, c: Counters) -> dict[str, Any]:
    closed = _g(c, "stage_closed")
    return {
        "department": department,
        "officer": officer,
        "stages_closed": int(closed),
        "stages_on_time": int(_g(c, "stage_on_time")),
        "on_time_rate": ratio(_g(c, "stage_on_time"), closed),
        "average_working_days": ratio(_g(c, "stage_used_days"), closed),
        "average_limit_days": ratio(_g(c, "stage_limit_days"), closed),
        "warned": int(_g(c, "stage_warned")),
        "overdue": int(_g(c, "stage_overdue")),
        "escalations_by_rung": {
            str(n): int(_g(c, f"stage_rung_{n}")) for n in RUNGS if c.get(f"stage_rung_{n}")
        },
        "cards": {"yellow": int(_g(c, "card_yellow")), "red": int(_g(c, "card_red"))},
        "credit_incidents": int(_g(c, "credit_incidents")),
    }


def officers_report(
    rows: Sequence[Mapping[str, Any]],
    *,
    period: Mapping[str, Any],
    department: str | None,
    region: str | None,
) -> dict[str, Any]:
    """Officers ordered by department, then on-time rate (lowest first: who needs help)."""
    found = [officer_figures(r["key"][0], r["key"][1], r["c"]) for r in rows]
    found.sort(key=lambda f: (f["department"], f["on_time_rate"] or 0.0, f["officer"]))
    return {"period": period, "department": department, "region_scope": region, "officers": found}
