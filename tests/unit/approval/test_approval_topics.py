"""Approval takes from egov.cases only the types that belong there; any other is dead-lettered
as `wrong_topic` instead of being skipped unseen."""

from __future__ import annotations

from services.approval.bootstrap import CONSUMED_TOPICS
from services.approval.handlers import bind
from tests.support.consumers import WiredConsumer, binding_faults
from tests.unit.approval.approval_fakes import MONDAY_10, make_deps


async def test_every_type_reaches_approval_from_its_own_topic_only() -> None:
    wired = WiredConsumer(CONSUMED_TOPICS, bind(make_deps()), now=MONDAY_10)
    assert await binding_faults(wired) == []
