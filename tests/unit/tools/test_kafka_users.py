"""The Strimzi KafkaUsers that deploy/gen_k8s.py generates, read as the broker would read their
ACLs, against the contracts registry: a service may write only what it produces and read only
what it consumes, and the few powers beyond that belong to the operator and the monitor."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from deploy import gen_k8s
from shared.contracts import access, registry
from shared.contracts.events import T_CALENDAR

OPERATOR = access.principal(access.OPERATOR)
MONITOR = access.principal("monitor")


@pytest.fixture(scope="module")
def users() -> dict[str, dict[str, Any]]:
    docs = [d for d in yaml.safe_load_all(gen_k8s.render_kafka_users()) if d]
    return {d["metadata"]["name"]: d for d in docs}


def _acls(user: dict[str, Any]) -> list[dict[str, Any]]:
    return list(user["spec"]["authorization"]["acls"])


def may(user: dict[str, Any], operation: str, resource: str, name: str) -> bool:
    """Whether an ALLOW rule of the user covers the operation, as Kafka's authorizer matches."""
    for acl in _acls(user):
        r = acl["resource"]
        if r["type"] != resource or operation not in acl["operations"]:
            continue
        if resource == "cluster":
            return True
        if r["patternType"] == "literal" and r["name"] == name:
            return True
        if r["patternType"] == "prefix" and name.startswith(r["name"]):
            return True
    return False


def topics_where(user: dict[str, Any], operation: str) -> set[str]:
    return {t for t in registry.TOPICS if may(user, operation, "topic", t)}


def test_one_scram_user_with_simple_authorization_per_party(
    users: dict[str, dict[str, Any]],
) -> None:
    assert list(users) == [access.principal(p) for p in access.parties()]
    assert {"egov-intake", "egov-monitor", "egov-operator", "egov-cq-intermediate-court"} <= set(
        users
    )
    for name, user in users.items():
        assert user["apiVersion"] == "kafka.strimzi.io/v1beta2"
        assert user["kind"] == "KafkaUser"
        assert user["metadata"]["labels"]["strimzi.io/cluster"] == gen_k8s.STRIMZI_CLUSTER
        assert user["spec"]["authentication"] == {"type": "scram-sha-512"}, name
        assert user["spec"]["authorization"]["type"] == "simple", name


@pytest.mark.parametrize("service", access.SERVICES)
def test_a_service_writes_exactly_what_it_produces_and_reads_what_it_consumes(
    users: dict[str, dict[str, Any]], service: str
) -> None:
    user = users[access.principal(service)]
    produced = {t.name for t in registry.TOPICS.values() if service in t.producers}
    consumed = {t.name for t in registry.TOPICS.values() if service in t.consumers}
    assert produced and consumed
    assert topics_where(user, "Write") == produced
    assert topics_where(user, "Read") == consumed
    assert topics_where(user, "Describe") == produced | consumed


def test_an_outside_publisher_only_writes_the_topics_that_name_it(
    users: dict[str, dict[str, Any]],
) -> None:
    outside = [p for p in access.parties() if p not in (*access.SERVICES, access.OPERATOR)]
    assert outside, "the registry names at least one outside publisher"
    for party in outside:
        user = users[access.principal(party)]
        produced = {t.name for t in registry.TOPICS.values() if party in t.producers}
        assert topics_where(user, "Write") == produced
        assert topics_where(user, "Read") == set()
        assert not any(a["resource"]["type"] in ("group", "cluster") for a in _acls(user))


def test_the_calendar_is_writable_only_by_the_operator(
    users: dict[str, dict[str, Any]],
) -> None:
    writers = {name for name, user in users.items() if may(user, "Write", "topic", T_CALENDAR)}
    assert writers == {OPERATOR}


def test_the_operator_reads_the_calendar_it_publishes_to(users: dict[str, dict[str, Any]]) -> None:
    # `egov calendar publish` reads every published schedule before it adds a year.
    assert may(users[OPERATOR], "Read", "topic", T_CALENDAR)
    assert may(users[OPERATOR], "Describe", "topic", T_CALENDAR)


def test_dead_letters_are_read_only_by_the_operator(users: dict[str, dict[str, Any]]) -> None:
    topic = registry.DEAD_LETTER_TOPIC
    readers = {name for name, user in users.items() if may(user, "Read", "topic", topic)}
    assert readers == {OPERATOR}


def test_only_the_operator_and_the_monitor_may_create(users: dict[str, dict[str, Any]]) -> None:
    creators = {
        name
        for name, user in users.items()
        if any("Create" in a["operations"] for a in _acls(user))
    }
    assert creators <= {OPERATOR, MONITOR}
    # The monitor creates faust's own topics only: never a registry topic.
    assert topics_where(users[MONITOR], "Create") == set()
    assert may(users[MONITOR], "Create", "topic", f"{MONITOR}-monitor-cases-changelog")


def test_each_user_joins_only_consumer_groups_named_after_itself(
    users: dict[str, dict[str, Any]],
) -> None:
    for name, user in users.items():
        for acl in _acls(user):
            if acl["resource"]["type"] == "group":
                assert acl["resource"] == {"type": "group", "name": name, "patternType": "prefix"}
        others = [other for other in users if other != name]
        assert not any(may(user, "Read", "group", f"{other}-consumer") for other in others), name


def test_acls_are_one_rule_per_resource_with_sorted_operations_and_any_host(
    users: dict[str, dict[str, Any]],
) -> None:
    for name, user in users.items():
        resources = [a["resource"] for a in _acls(user)]
        assert len({tuple(sorted(r.items())) for r in resources}) == len(resources), name
        for acl in _acls(user):
            assert acl["host"] == "*"
            assert acl["operations"] == sorted(set(acl["operations"])), name
            if acl["resource"]["type"] == "cluster":
                assert acl["resource"] == {"type": "cluster"}
                assert acl["operations"] == ["IdempotentWrite"]
    assert gen_k8s.render_kafka_users() == gen_k8s.render_kafka_users()


def test_every_grant_of_the_registry_is_in_some_user(users: dict[str, dict[str, Any]]) -> None:
    for grant in access.all_grants():
        user = users[grant.principal]
        name = f"{grant.name}-x" if grant.pattern == "prefixed" else grant.name
        assert may(user, grant.operation, grant.resource, name), grant
