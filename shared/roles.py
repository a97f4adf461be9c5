"""The roles a bearer token may carry, and the groups the services check (no dependencies, so
pure domain code may import it)."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    APPLICANT = "applicant"
    HANDLER = "handler"  # 经办
    REVIEWER = "reviewer"  # 复核
    APPROVER = "approver"  # 审批
    SECTION_CHIEF = "section_chief"
    SUPERVISOR = "supervisor"
    DEPARTMENT_HEAD = "department_head"
    INSPECTOR = "inspector"  # 纪检监察
    ADMIN = "admin"
    SYSTEM = "system"  # another service or system


# People who work or oversee cases: the officers of the directory, who may read a case's
# details. A service adds `admin` (operations) or `system` (other services) where they may too.
OFFICER_ROLES: frozenset[str] = frozenset(
    {
        Role.HANDLER,
        Role.REVIEWER,
        Role.APPROVER,
        Role.SECTION_CHIEF,
        Role.SUPERVISOR,
        Role.DEPARTMENT_HEAD,
        Role.INSPECTOR,
    }
)
OFFICERS_AND_ADMIN: frozenset[str] = OFFICER_ROLES | {Role.ADMIN}

__all__ = ["OFFICERS_AND_ADMIN", "OFFICER_ROLES", "Role"]
