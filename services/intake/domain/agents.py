"""Agents (经办人, 代理人): people a subject lets submit and follow its cases in its name.

A company's account (its unified social credit code, 法人) names the employees who apply for it;
a person may name a relative or a lawyer. A grant names the agent by ID number, may be limited to
some items, and ends on a date; revoking ends it at once. The agent signs in with their own
real-name token (services/intake/domain/identity.py).
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.intake.domain.errors import FieldError, Invalid
from shared.identifiers import resident_id_error

MAX_GRANT_DAYS = 3 * 366  # a grant is renewed at least every three years


class AgentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id_number: str = Field(min_length=18, max_length=18, description="the agent's resident ID")
    name: str = Field(min_length=1, max_length=200)

    @field_validator("id_number")
    @classmethod
    def _resident_id(cls, value: str) -> str:
        value = value.strip().upper()
        error = resident_id_error(value)
        if error is not None:
            raise ValueError(f"not a valid resident ID number: {error}")
        return value


class AgentGrantIn(BaseModel):
    """The body of ``POST /v1/agents``."""

    model_config = ConfigDict(extra="forbid")

    agent: AgentIn
    valid_until: date = Field(description="last day (Beijing time) the grant holds")
    item_codes: list[str] = Field(
        default_factory=list, max_length=200, description="the items it covers; empty: all"
    )


class AgentGrant(BaseModel):
    model_config = ConfigDict(frozen=True)

    subject_id: str  # who is represented: a resident ID or a credit code
    agent_id: str
    agent_name: str
    item_codes: list[str] = Field(default_factory=list)
    valid_until: date
    granted_by: str
    granted_at: datetime
    revoked_at: datetime | None = None
    revoked_by: str | None = None

    def covers(self, item_code: str, today: date) -> bool:
        return (
            self.revoked_at is None
            and today <= self.valid_until
            and (not self.item_codes or item_code in self.item_codes)
        )


def new_grant(
    body: AgentGrantIn, *, subject_id: str, granted_by: str, now: datetime, today: date
) -> AgentGrant:
    errors = []
    if body.agent.id_number == subject_id:
        errors.append(FieldError("agent.id_number", "a subject is not its own agent"))
    if body.valid_until < today:
        errors.append(FieldError("valid_until", "already past"))
    elif (body.valid_until - today).days > MAX_GRANT_DAYS:
        errors.append(FieldError("valid_until", f"at most {MAX_GRANT_DAYS} days ahead"))
    if errors:
        raise Invalid("the agent grant is not valid", errors)
    return AgentGrant(
        subject_id=subject_id,
        agent_id=body.agent.id_number,
        agent_name=body.agent.name,
        item_codes=sorted(set(body.item_codes)),
        valid_until=body.valid_until,
        granted_by=granted_by,
        granted_at=now,
    )
