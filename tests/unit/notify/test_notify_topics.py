"""Notify acts on an event only when it arrives on its type's topic: an overdue alarm published
on egov.stages (which approval, credit and intake write) alerts nobody."""

from __future__ import annotations

import tests.unit.notify.notify_samples as s
from services.notify.bootstrap import CONSUMED_TOPICS
from shared.contracts import T_CASES, T_STAGES, T_SUPERVISION
from tests.support.consumers import WiredConsumer, binding_faults
from tests.unit.notify.notify_fakes import by_channel
from tests.unit.notify.notify_world import NOON, World


async def test_an_overdue_alarm_on_egov_stages_is_dead_lettered_and_alerts_nobody(
    world: World,
) -> None:
    wired = WiredConsumer(CONSUMED_TOPICS, world.handlers, now=NOON)
    submitted = s.envelope(s.case_submitted("C1", NOON), NOON)
    assert await wired.deliver(submitted, T_CASES) == "handled"
    for channel in world.channels.values():
        channel.sent.clear()
    alarm = s.envelope(s.stage_overdue("C1", "S1", NOON, assignee="cq-scj-h01"), NOON)
    assert await wired.deliver(alarm, T_STAGES) == "dead_lettered"
    assert wired.reasons() == ["wrong_topic"]
    assert by_channel(world.channels) == {}
    # the same alarm from the monitor, on egov.supervision, reaches the handler
    assert await wired.deliver(alarm, T_SUPERVISION) == "handled"
    assert by_channel(world.channels) == {"cq-scj-h01": {"inbox", "email", "sms"}}


async def test_every_type_reaches_notify_from_its_own_topic_only(world: World) -> None:
    wired = WiredConsumer(CONSUMED_TOPICS, world.handlers, now=NOON)
    assert await binding_faults(wired) == []
