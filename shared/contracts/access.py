"""Who may do what on the bus: Kafka ACLs derived from the registry, nothing written by hand.

Every service has its own principal (`egov-<service>`) and may write only the topics whose
events it owns (the registry's `producers`) and read only what it consumes (`consumers`); it
joins only consumer groups named after itself, and the monitor creates and uses faust's own
topics under its application id. The operator (`egov-operator`, the `egov` command of the
people who run the platform) reads and publishes holiday schedules and reads and replays dead
letters.
Outside systems write only the topics whose producers name them.

The same grants configure the test broker (dev/kafka_security.py) and become Strimzi
KafkaUser resources in deploy/k8s (deploy/gen_k8s.py), so what the tests prove is what runs.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.contracts.events import T_CALENDAR
from shared.contracts.registry import DEAD_LETTER_TOPIC, TOPICS, TopicSpec

SERVICES = ("intake", "approval", "monitor", "notify", "credit")
OPERATOR = "operator"
EXTERNAL = "external"
PRINCIPAL_PREFIX = "egov-"


@dataclass(frozen=True, order=True)
class Grant:
    """One ALLOW rule: `principal` may do `operation` on the resource."""

    principal: str  # Kafka user name, e.g. egov-intake
    resource: str  # topic, group or cluster
    name: str  # the resource's name, or its prefix when pattern is "prefixed"
    pattern: str  # literal or prefixed
    operation: str  # Read, Write, Describe, Create, DescribeConfigs, IdempotentWrite


def principal(party: str) -> str:
    """The Kafka user of a service, the operator or an outside publisher."""
    return f"{PRINCIPAL_PREFIX}{party}"


def parties(topics: dict[str, TopicSpec] | None = None) -> list[str]:
    """Everyone who gets a principal: the services, the operator, and each outside publisher."""
    specs = (topics or TOPICS).values()
    named = {p for spec in specs for p in (*spec.producers, *spec.consumers)}
    return [*SERVICES, OPERATOR, *sorted(named - {*SERVICES, OPERATOR})]


def _topic(party: str, name: str, *operations: str) -> list[Grant]:
    return [Grant(principal(party), "topic", name, "literal", op) for op in operations]


def grants_for(party: str, topics: dict[str, TopicSpec] | None = None) -> list[Grant]:
    """Every grant of one party, sorted."""
    specs = topics or TOPICS
    out: list[Grant] = []
    for spec in specs.values():
        if party in spec.producers:
            out += _topic(party, spec.name, "Write", "Describe")
        if party in spec.consumers:
            out += _topic(party, spec.name, "Read", "Describe")
    if party in SERVICES:
        who = principal(party)
        # Consumer groups (and the monitor's faust application id) start with the principal.
        out.append(Grant(who, "group", who, "prefixed", "Read"))
        out.append(Grant(who, "cluster", "kafka-cluster", "literal", "IdempotentWrite"))
    if party == "monitor":
        # faust creates and uses its changelog, repartition and leader topics under its id.
        who = principal(party)
        for op in ("Create", "Read", "Write", "Describe", "DescribeConfigs"):
            out.append(Grant(who, "topic", who, "prefixed", op))
    if party == OPERATOR:
        # `egov dlq list` and `replay` read the dead letters; a replay writes the original topic.
        out += _topic(party, DEAD_LETTER_TOPIC, "Read", "Describe")
        # `egov calendar publish` (and `--bus`) reads the schedules already published first.
        out += _topic(party, T_CALENDAR, "Read")
        for spec in specs.values():
            if not spec.internal and spec.name != DEAD_LETTER_TOPIC:
                out += _topic(party, spec.name, "Write", "Describe")
        out.append(Grant(principal(party), "group", principal(party), "prefixed", "Read"))
    return sorted(set(out))


def all_grants(topics: dict[str, TopicSpec] | None = None) -> list[Grant]:
    return [g for party in parties(topics) for g in grants_for(party, topics)]
