"""A grant holds through its last day (docs/intake.md, "Agents": a grant ends on its date;
`valid_until` is the last day, Beijing time, it holds) and not a day longer; revoking ends it
at once; an empty item list covers every item."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from services.intake.domain.agents import AgentGrant
from shared.clock import SHANGHAI

LAST_DAY = date(2026, 12, 31)


def grant(**changes: object) -> AgentGrant:
    fields: dict[str, object] = {
        "subject_id": "91500000MA5U0000XX",
        "agent_id": "500103199005170126",
        "agent_name": "王五",
        "item_codes": ["500000-SCJ-001"],
        "valid_until": LAST_DAY,
        "granted_by": "91500000MA5U0000XX",
        "granted_at": datetime(2026, 3, 2, 9, tzinfo=SHANGHAI),
    }
    return AgentGrant.model_validate(fields | changes)


def test_a_grant_covers_its_items_through_its_last_day_only() -> None:
    g = grant()
    assert g.covers("500000-SCJ-001", LAST_DAY)
    assert not g.covers("500000-SCJ-001", LAST_DAY + timedelta(days=1))
    assert not g.covers("500000-SCJ-002", LAST_DAY)
    assert grant(item_codes=[]).covers("500000-SCJ-002", LAST_DAY)  # no list: every item
    revoked = grant(revoked_at=datetime(2026, 6, 1, tzinfo=SHANGHAI), revoked_by="x")
    assert not revoked.covers("500000-SCJ-001", date(2026, 6, 2))
