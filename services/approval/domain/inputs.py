"""What an action carries in: who acts, with which parameters, under which configurable rules."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from services.approval.domain.model import SuspensionReason
from shared.calendar.limits import Limit


class Officer(BaseModel):
    """Who acts (from the bearer token)."""

    model_config = ConfigDict(frozen=True)

    subject: str
    department: str | None = None
    region: str | None = None
    roles: frozenset[str] = frozenset()


class ActionInput(BaseModel):
    model_config = ConfigDict(frozen=True)

    reasons: list[str] = Field(default_factory=list)
    legal_basis: str | None = None
    materials: list[str] = Field(default_factory=list)
    note: str | None = None
    suspension_reason: SuspensionReason | None = None
    max_length: Limit | None = None
    commitment_true: bool | None = None
    performed_at: datetime | None = Field(
        None, description="when the officer declares the work was done (offline, typed in later)"
    )


class Policy(BaseModel):
    """Configurable rules (from the service settings)."""

    model_config = ConfigDict(frozen=True)

    prereview_limit: Limit = Limit(value=2)
    prereview_role: str = "handler"
    verification_limit: Limit = Limit(value=20)
    verification_role: str = "handler"
    credit_review_limit: Limit = Field(
        Limit(value=2), description="the credit review stage (信用加强审查) of watched applicants"
    )
    credit_review_role: str = "reviewer"
    suspension_max: dict[str, Limit] = Field(default_factory=dict)
    supplement_max: Limit | None = Field(
        None, description="how long the applicant has to supplement; then the case lapses"
    )
    source_system: str = "egov-approval"
