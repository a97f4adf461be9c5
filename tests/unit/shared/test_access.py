"""The Kafka grants derived from the registry: least privilege, and every topic a service
really reads or writes is granted (the broker would refuse it otherwise)."""

from __future__ import annotations

from services.monitor.history.feed import HISTORY_TOPICS
from services.monitor.stream import SOURCE_TOPICS
from shared.contracts import T_CALENDAR, T_SUPERVISION, TOPICS
from shared.contracts.access import SERVICES, all_grants, grants_for, parties, principal
from shared.contracts.registry import topics_consumed_by


def topics(party: str, operation: str) -> set[str]:
    return {
        g.name
        for g in grants_for(party)
        if g.resource == "topic" and g.pattern == "literal" and g.operation == operation
    }


def test_every_service_writes_exactly_the_topics_it_produces_to() -> None:
    for service in SERVICES:
        owned = {t.name for t in TOPICS.values() if service in t.producers}
        assert topics(service, "Write") == owned, service


def test_every_service_reads_exactly_the_topics_it_consumes() -> None:
    for service in SERVICES:
        consumed = {t.name for t in TOPICS.values() if service in t.consumers}
        assert topics(service, "Read") == consumed, service


def test_the_calendar_is_written_by_the_operator_alone() -> None:
    writers = {g.principal for g in all_grants() if g.name == T_CALENDAR and g.operation == "Write"}
    assert writers == {principal("operator")}


def test_only_the_monitor_creates_topics_and_only_under_its_own_name() -> None:
    creates = [g for g in all_grants() if g.operation == "Create"]
    assert {g.principal for g in creates} == {principal("monitor")}
    assert {(g.name, g.pattern) for g in creates} == {(principal("monitor"), "prefixed")}


def test_outside_systems_write_only_their_topics_and_read_nothing() -> None:
    outside = [p for p in parties() if p not in (*SERVICES, "operator")]
    assert outside, "the registry names outside publishers"
    for party in outside:
        assert topics(party, "Read") == set()
        assert topics(party, "Write") == {t.name for t in TOPICS.values() if party in t.producers}


def test_the_monitor_reads_what_its_consumers_subscribe_to() -> None:
    # the faust agent's topics, the register's feed of its own findings and the history's feed
    # (cases, stages, findings and the catalog)
    assert {*SOURCE_TOPICS, T_SUPERVISION, *HISTORY_TOPICS} == set(topics_consumed_by("monitor"))
