"""Intake acts on an event only when it arrives on its type's topic: a decision published on
egov.intake.submissions (which other systems may write) decides nothing."""

from __future__ import annotations

from services.intake.bootstrap import CONSUMED_TOPICS
from services.intake.handlers import bind
from shared.contracts import T_INTAKE_IN, T_STAGES, CaseDecided, make_envelope
from tests.support.consumers import WiredConsumer, binding_faults
from tests.unit.intake.intake_fakes import T0, Wiring
from tests.unit.intake.test_intake_tracking_ratings import client, decided, submitted


async def test_a_decision_on_the_submissions_topic_is_dead_lettered_and_decides_nothing() -> None:
    w = Wiring()
    wired = WiredConsumer(CONSUMED_TOPICS, bind(w.deps), now=T0)
    async with client(w) as c:
        case_id, code = await submitted(w, c)
        forged = make_envelope(decided(case_id), source="/cq/mobile-app", time=T0, id="d-1")
        assert await wired.deliver(forged, T_INTAKE_IN) == "dead_lettered"
        [letter] = wired.sink.letters
        assert letter["dlq.reason"] == "wrong_topic"
        assert letter["dlq.event_type"] == CaseDecided.event_type
        assert f"belongs on {T_STAGES}, not on {T_INTAKE_IN}" in letter["dlq.error"]
        view = (await c.get(f"/v1/cases/{case_id}", params={"code": code})).json()
        assert view["status"] == "submitted"

        # The consumer carries on; the same event (source and id) on egov.stages is not taken for
        # a copy of the refused one, so a forgery cannot shadow a real event: it decides the case.
        assert await wired.deliver(forged, T_STAGES) == "handled"
        view = (await c.get(f"/v1/cases/{case_id}", params={"code": code})).json()
        assert view["status"] == "decided"


async def test_every_type_reaches_intake_from_its_own_topic_only() -> None:
    wired = WiredConsumer(CONSUMED_TOPICS, bind(Wiring().deps), now=T0)
    assert await binding_faults(wired) == []
