"""The roles a bearer token may carry, the groups the services check, and how surely a person
was identified (no dependencies, so pure domain code may import it)."""

from __future__ import annotations

from enum import IntEnum, StrEnum


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
    TERMINAL = "terminal"  # a self-service kiosk or bank-branch terminal of the hall


class Assurance(IntEnum):
    """How surely the identity provider knows who holds a token (its ``acr`` claim): an account
    (password or SMS), real-name (实名: ID checked against the registry), real-person (实人: a live
    face matched to that ID). Online government service asks for real-name and real-person."""

    NONE = 0
    BASIC = 1
    REAL_NAME = 2
    REAL_PERSON = 3

    @classmethod
    def parse(cls, value: object) -> Assurance:
        """``acr`` as a level name (``real_person``) or number; anything else is no assurance."""
        if isinstance(value, int) and not isinstance(value, bool):
            return cls(value) if 0 <= value <= 3 else cls.NONE
        text = str(value or "").strip().lower()
        if text.isdigit():
            return cls.parse(int(text))
        return cls.__members__.get(text.upper(), cls.NONE)


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

__all__ = ["OFFICERS_AND_ADMIN", "OFFICER_ROLES", "Assurance", "Role"]
