"""Who may use the bus in Kubernetes, as data (written by deploy/gen_k8s.py): one Strimzi
KafkaUser per principal with the ACLs of shared/contracts/access.py, and the prod overlay's
patch that gives every service its own principal and password.

Strimzi's User Operator creates, for each KafkaUser, the SCRAM-SHA-512 credentials, the ACLs
and a Secret of the same name in the same namespace (key ``password``); the services read it
through ``secretKeyRef``, so no Kafka password is ever written by hand.
"""

from __future__ import annotations

from itertools import groupby
from typing import Any

from shared.contracts.access import (
    OPERATOR,
    SERVICES,
    Grant,
    grants_for,
    parties,
    principal,
)
from shared.contracts.registry import TopicSpec

# access.py speaks Kafka's pattern types, Strimzi's CRD its own spelling.
PATTERN_TYPES = {"literal": "literal", "prefixed": "prefix"}
RESOURCE_ORDER = ("topic", "group", "cluster")
SECRET_KEY = "password"  # the key of the User Operator's Secret that holds the SCRAM password


def _role(party: str) -> str:
    if party in SERVICES:
        return f"the {party} service"
    if party == OPERATOR:
        return "the operators' `egov` command (calendar publish, dlq list/replay)"
    return "an outside publisher"


def acls(grants: list[Grant]) -> list[dict[str, Any]]:
    """Strimzi ACL rules: one per resource, its operations merged and sorted."""

    def resource_key(g: Grant) -> tuple[int, str, str]:
        return RESOURCE_ORDER.index(g.resource), g.name, g.pattern

    rules = []
    for (_, name, pattern), same in groupby(sorted(grants, key=resource_key), key=resource_key):
        first, *rest = same
        resource: dict[str, Any] = {"type": first.resource}
        if first.resource != "cluster":  # the cluster resource has no name
            resource |= {"name": name, "patternType": PATTERN_TYPES[pattern]}
        operations = sorted({g.operation for g in (first, *rest)})
        rules.append({"resource": resource, "operations": operations, "host": "*"})
    return rules


def kafka_user(party: str, topics: dict[str, TopicSpec], cluster: str) -> dict[str, Any]:
    return {
        "apiVersion": "kafka.strimzi.io/v1beta2",
        "kind": "KafkaUser",
        "metadata": {
            "name": principal(party),
            "labels": {"strimzi.io/cluster": cluster, "app.kubernetes.io/part-of": "egov"},
            "annotations": {"egov.gov.cn/description": f"Kafka principal of {_role(party)}"},
        },
        "spec": {
            "authentication": {"type": "scram-sha-512"},
            "authorization": {"type": "simple", "acls": acls(grants_for(party, topics))},
        },
    }


def kafka_users(topics: dict[str, TopicSpec], cluster: str) -> list[dict[str, Any]]:
    return [kafka_user(party, topics, cluster) for party in parties(topics)]


def credentials_patch(service: str, kind: str) -> dict[str, Any]:
    """Strategic-merge patch: the service's container logs in as its own principal.

    Container `env` wins over `envFrom`, so a stale EGOV_KAFKA_SASL_* in a ConfigMap or in
    egov-secrets cannot replace it.
    """
    who = principal(service)
    env = [
        {"name": "EGOV_KAFKA_SASL_USERNAME", "value": who},
        {
            "name": "EGOV_KAFKA_SASL_PASSWORD",
            "valueFrom": {"secretKeyRef": {"name": who, "key": SECRET_KEY}},
        },
    ]
    return {
        "apiVersion": "apps/v1",
        "kind": kind,
        "metadata": {"name": f"egov-{service}"},
        "spec": {"template": {"spec": {"containers": [{"name": service, "env": env}]}}},
    }
