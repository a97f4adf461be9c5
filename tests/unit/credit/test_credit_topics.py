"""Credit takes from egov.credit.incidents (which courts and tax systems write) only credit
incidents; any other type is dead-lettered as `wrong_topic` instead of being skipped unseen."""

from __future__ import annotations

from services.credit.bootstrap import CONSUMED_TOPICS
from services.credit.handlers import bind
from tests.support.consumers import WiredConsumer, binding_faults
from tests.unit.credit.credit_fakes import START, make_deps


async def test_every_type_reaches_credit_from_its_own_topic_only() -> None:
    wired = WiredConsumer(CONSUMED_TOPICS, bind(make_deps()), now=START)
    assert await binding_faults(wired) == []
