"""An item's rules for accept-with-gaps (容缺受理), set in its catalog entry (``gaps``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from shared.contracts.owed import OwedHold, OwedLapse

# Local rules give the applicant a few working days to bring what was missing; ten is the
# common upper bound when an item's own rule says nothing.
DEFAULT_SUPPLY_WORKING_DAYS = 10


class GapsRule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    supply_working_days: int = Field(
        DEFAULT_SUPPLY_WORKING_DAYS,
        ge=1,
        le=60,
        description="working days from acceptance to supply what is owed",
    )
    hold: OwedHold = Field(
        "decide", description="while owed: decide = no approval; deliver = no delivery"
    )
    on_lapse: OwedLapse = Field(
        "lapsed",
        description="when the deadline passes: lapsed (终止办理) or refused (不予受理)",
    )
    credit_incident: bool = Field(
        False,
        description="a credit record for the applicant's broken promise (where the law provides)",
    )
