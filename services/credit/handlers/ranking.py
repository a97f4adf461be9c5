"""The department ranking for supervisors: dishonesty records per department and period."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any

from services.credit.domain import EFFECTIVE, Status
from services.credit.handlers.deps import Deps
from shared.contracts import Severity
from shared.reference import departments as reference_departments

RANKING_ROLES = ("supervisor", "inspector", "department_head", "admin")

# The days a ranking may cover: any real question fits, and the instants around them exist
# (``to=9999-12-31`` once overflowed computing the day after and answered 500).
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2099, 12, 31)


async def department_ranking(deps: Deps, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Dishonesty records (not revoked) per department that occurred in [start, end), worst
    first."""
    names = {code: d.name for code, d in reference_departments().items()}
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for record in await deps.store.department_records(start, end):
        if record.status == Status.REVOKED:
            continue
        row = counts[record.subject_id]
        row["records"] += 1
        row[record.severity.value] += 1
        row["in_effect"] += record.status in EFFECTIVE
    order = sorted(
        counts, key=lambda code: (-counts[code]["records"], -counts[code]["very_serious"], code)
    )
    rows: list[dict[str, Any]] = []
    for rank, code in enumerate(order, start=1):
        row = counts[code]
        rows.append(
            {
                "rank": rank,
                "department": code,
                "name": names.get(code),
                "records": row["records"],
                "in_effect": row["in_effect"],
                "by_severity": {s.value: row[s.value] for s in Severity},
            }
        )
    return rows
