"""Outside systems prove who they are by the topic they write (their ingress topic, which only
they may write): a court's record names the court whatever its payload says, an event claiming
another publisher's source is dead-lettered, and one publisher's event ids cannot shadow
another's."""

from __future__ import annotations

from services.credit.bootstrap import CONSUMED_TOPICS
from services.credit.handlers import bind
from shared.contracts import T_CREDIT_INCIDENTS, CreditIncident
from shared.contracts.examples import example_envelope
from shared.contracts.publishers import PUBLISHERS
from shared.identifiers import make_uscc
from tests.support.consumers import WiredConsumer
from tests.support.metrics import label_sets
from tests.unit.credit.credit_fakes import START, make_deps

COURT = PUBLISHERS["cq-intermediate-court"]
TAX = PUBLISHERS["cq-tax"]


def incident(source: str, event_id: str, claimed_system: str = "supreme-people's-court"):  # noqa: ANN201
    envelope = example_envelope(CreditIncident.event_type, id=event_id, source=source)
    data = {**envelope.data, "source_system": claimed_system}
    return envelope.model_copy(update={"data": data})


async def test_a_court_record_names_the_publisher_not_the_payload() -> None:
    deps = make_deps()
    wired = WiredConsumer(CONSUMED_TOPICS, bind(deps), now=START)
    assert await wired.deliver(incident(COURT.source, "c-1"), COURT.topic) == "handled"
    [record] = deps.store.records.values()  # type: ignore[attr-defined]
    assert record.source_system == COURT.id
    assert record.origin_key == f"{COURT.source}|c-1"


async def test_a_publisher_cannot_speak_as_another() -> None:
    deps = make_deps()
    wired = WiredConsumer(CONSUMED_TOPICS, bind(deps), now=START)
    # tax writes its own topic (the broker lets it) but claims to be the court
    assert await wired.deliver(incident(COURT.source, "c-1"), TAX.topic) == "dead_lettered"
    assert wired.reasons() == ["forged_source"]
    assert wired.calls == []
    assert deps.store.records == {}  # type: ignore[attr-defined]


async def test_the_same_event_id_from_two_publishers_is_two_records() -> None:
    deps = make_deps()
    wired = WiredConsumer(CONSUMED_TOPICS, bind(deps), now=START)
    assert await wired.deliver(incident(TAX.source, "same-id"), TAX.topic) == "handled"
    assert await wired.deliver(incident(COURT.source, "same-id"), COURT.topic) == "handled"
    assert sorted(r.source_system for r in deps.store.records.values()) == [  # type: ignore[attr-defined]
        COURT.id,
        TAX.id,
    ]


async def test_a_thousand_claimed_systems_stay_a_bounded_number_of_series() -> None:
    """On the platform's own topic the payload names the system: the metric takes only
    registered publishers and platform services, anything else is ``other``."""
    deps = make_deps()
    wired = WiredConsumer(CONSUMED_TOPICS, bind(deps), now=START)
    before = label_sets("egov_credit_records")
    for i in range(1000):
        envelope = incident("/egov/approval", f"spam-{i}", claimed_system=f"system-{i}")
        envelope = envelope.model_copy(
            update={"data": {**envelope.data, "subject_id": make_uscc(i)}}
        )
        assert await wired.deliver(envelope, T_CREDIT_INCIDENTS) == "handled"
    assert len(deps.store.records) == 1000  # type: ignore[attr-defined]
    # at most one new series (entity, serious, other), whatever ran before in this process
    new = label_sets("egov_credit_records") - before
    assert len(new) <= 1 and {dict(labels)["source"] for labels in new} <= {"other"}
    assert (("severity", "serious"), ("source", "other"), ("subject_kind", "entity")) in (
        label_sets("egov_credit_records")
    )
    # the record itself keeps what was claimed
    assert {r.source_system for r in deps.store.records.values()} == {  # type: ignore[attr-defined]
        f"system-{i}" for i in range(1000)
    }
