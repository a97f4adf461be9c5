"""Accept-with-gaps (容缺受理): what a case accepted with a material missing still owes, by
when, and what follows; carried in ``case.submitted`` (the arrival's event: owed_events.py)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from shared.calendar.limits import Limit
from shared.contracts.common import AwareDatetime, Frozen, OwedMaterial

OwedHold = Literal["decide", "deliver"]
OwedLapse = Literal["lapsed", "refused"]


class OwedMaterials(Frozen):
    """The non-key materials a case was accepted without and the item's rules for them."""

    materials: list[OwedMaterial] = Field(min_length=1)
    limit: Limit = Field(description="the time to supply them, counted from acceptance")
    accepted_at: AwareDatetime = Field(description="acceptance (registration) starts the limit")
    due_at: AwareDatetime = Field(description="end of the limit's last working day")
    due_provisional: bool = Field(
        False, description="due_at reaches a year whose holiday schedule is not yet published"
    )
    hold: OwedHold = Field(
        "decide",
        description="decide: no approval while owed; deliver: approval may come, not delivery",
    )
    on_lapse: OwedLapse = Field(
        "lapsed",
        description="the decision when the deadline passes: lapsed (终止办理) or refused "
        "(不予受理); an approved, undelivered case is revoked",
    )
    credit_incident: bool = Field(
        False, description="the law provides a credit record for the applicant's broken promise"
    )


__all__ = ["OwedHold", "OwedLapse", "OwedMaterial", "OwedMaterials"]
