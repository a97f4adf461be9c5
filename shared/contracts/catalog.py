"""The service catalog on the bus: intake owns the catalog (事项目录) and publishes each item's
current definition, so that other services (the monitor's public statistics: share of items
fully online and zero-visit) need not read intake's database or API.

The topic is compacted and keyed by item code: it keeps every item's latest definition for
the deployment's life, and a consumer reading it from the beginning holds the whole catalog.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from shared.contracts.common import AwareDatetime, Limit, RegionCode
from shared.contracts.envelope import EventData

T_CATALOG = "egov.catalog"


class CatalogItemChanged(EventData):
    """An item as it is now; the one with the highest ``version`` of a code is current."""

    event_type = "gov.egov.catalog.item.changed.v1"
    topic = T_CATALOG
    key_field = "item_code"
    summary = (
        "a catalog item was created, changed or closed (intake); the whole catalog is published "
        "again at intake's start (same event ids: idempotent)"
    )

    item_code: str = Field(min_length=1, max_length=80)
    version: int = Field(ge=1, description="the item's definition version; higher is newer")
    name: str
    department: str
    region: RegionCode
    handling_level: str = Field(description="province, municipal, district or township")
    service_type: Literal["immediate", "promised"]
    fully_online: bool = Field(description="can be done end to end online (全程网办)")
    visits_required: int = Field(ge=0, description="visits to a hall; 0: zero-visit (零跑动)")
    cross_region: bool = False
    status: Literal["open", "closed"]
    promised_limit: Limit
    statutory_limit: Limit
    changed_at: AwareDatetime = Field(description="when this version was published")


EXAMPLES: dict[str, dict[str, Any]] = {
    CatalogItemChanged.event_type: {
        "item_code": "500000-SCJ-001",
        "version": 2,
        "name": "个体工商户设立登记",
        "department": "500000-SCJ",
        "region": "500000",
        "handling_level": "municipal",
        "service_type": "promised",
        "fully_online": True,
        "visits_required": 0,
        "cross_region": False,
        "status": "open",
        "promised_limit": {"value": 3, "unit": "working_days"},
        "statutory_limit": {"value": 15, "unit": "working_days"},
        "changed_at": "2026-03-02T09:30:00+08:00",
    }
}

__all__ = ["T_CATALOG", "CatalogItemChanged"]
