"""The event of owed material arriving for a case accepted with gaps (容缺受理)."""

from __future__ import annotations

from pydantic import Field

from shared.contracts.common import AwareDatetime, Material
from shared.contracts.envelope import EventData
from shared.contracts.events import T_CASES


class OwedMaterialsSupplied(EventData):
    event_type = "gov.egov.case.owed_supplied.v1"
    topic = T_CASES
    summary = "the applicant supplied material(s) a case accepted with gaps (容缺) still owed"

    case_id: str
    materials: list[Material] = Field(min_length=1)
    remaining: list[str] = Field(
        default_factory=list, description="codes still owed after these (empty: all supplied)"
    )
    supplied_at: AwareDatetime


__all__ = ["OwedMaterialsSupplied"]
