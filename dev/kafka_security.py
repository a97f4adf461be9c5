"""Producer identity on the test broker: one SCRAM principal per party, ACLs from the registry.

The Apache Kafka test broker (dev/apache_kafka.py) has two client listeners:

- the *harness* listener (PLAINTEXT, EGOV_KAFKA_BOOTSTRAP): the test code and the `egov`
  commands of the stack's operator; its anonymous principal is a super user. Production has
  no such listener.
- the *service* listener (SASL_PLAINTEXT, SCRAM-SHA-512): every service process started by the
  harness connects here as its own principal (`egov-<service>`), and the broker enforces the
  grants of shared/contracts/access.py, the same grants deploy/k8s gives Strimzi.
- optionally the *TLS* listener (SASL_SSL, SCRAM-SHA-512, a certificate of the caller's CA):
  the same principals and grants with production's protocol (`service_identities(env,
  tls=True)`).

Passwords are made per stack at format time and kept in <state>/kafka/identities.json (0600).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from pathlib import Path

from shared.contracts.access import SERVICES, Grant, all_grants, parties, principal

MECHANISM = "SCRAM-SHA-512"
IDENTITIES_ENV = "EGOV_DEV_KAFKA_IDENTITIES"  # path of identities.json, in the stack's env


def identities_path(state_dir: Path) -> Path:
    return state_dir / "kafka" / "identities.json"


def make_identities(
    state_dir: Path, sasl_bootstrap: str, tls: tuple[str, Path] | None = None
) -> dict[str, object]:
    """New passwords for every party (kept if the file exists: a durable broker knows them).
    `tls`: the TLS listener's bootstrap and the CA file its clients trust."""
    path = identities_path(state_dir)
    users: dict[str, str] = {}
    if path.exists():
        users = dict(json.loads(path.read_text())["users"])
    for party in parties():
        users.setdefault(principal(party), secrets.token_urlsafe(18))
    doc: dict[str, object] = {"sasl_bootstrap": sasl_bootstrap, "users": users}
    if tls is not None:
        doc |= {"tls_bootstrap": tls[0], "tls_cafile": str(tls[1])}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(json.dumps(doc, indent=1) + "\n")
    return doc


def scram_arguments(doc: Mapping[str, object]) -> list[str]:
    """`kafka-storage format` arguments that create every user's SCRAM credential."""
    users = doc["users"]
    assert isinstance(users, dict)
    out: list[str] = []
    for name, password in sorted(users.items()):
        out += ["--add-scram", f"{MECHANISM}=[name={name},password={password}]"]
    return out


def party_identities(env: Mapping[str, str], *, tls: bool = False) -> dict[str, dict[str, str]]:
    """Per party (services, operator, outside publishers), the settings that make a client
    connect as that principal (with `tls`, on the TLS listener); {} on a broker without
    identities (Tansu)."""
    path = env.get(IDENTITIES_ENV)
    if not path or not Path(path).exists():
        return {}
    doc = json.loads(Path(path).read_text())
    return {party: identity_env(doc, principal(party), tls=tls) for party in parties()}


def service_identities(env: Mapping[str, str], *, tls: bool = False) -> dict[str, dict[str, str]]:
    """Per service, the settings that make it connect as its own principal."""
    found = party_identities(env, tls=tls)
    return {service: found[service] for service in SERVICES if service in found}


def identity_env(doc: Mapping[str, object], user: str, *, tls: bool = False) -> dict[str, str]:
    users = doc["users"]
    assert isinstance(users, dict)
    if tls and "tls_bootstrap" not in doc:
        raise ValueError("this broker has no TLS listener (start the stack with tls=TlsFiles(...))")
    listener = {
        "EGOV_KAFKA_BOOTSTRAP": str(doc["sasl_bootstrap"]),
        "EGOV_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
    }
    if tls:
        listener = {
            "EGOV_KAFKA_BOOTSTRAP": str(doc["tls_bootstrap"]),
            "EGOV_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
            "EGOV_KAFKA_SSL_CAFILE": str(doc["tls_cafile"]),
        }
    return listener | {
        "EGOV_KAFKA_SASL_MECHANISM": MECHANISM,
        "EGOV_KAFKA_SASL_USERNAME": user,
        "EGOV_KAFKA_SASL_PASSWORD": str(users[user]),
    }


def apply_acls(bootstrap: str, grants: list[Grant] | None = None, timeout_s: float = 30) -> int:
    """Create the grants on the broker (idempotent) through the harness listener."""
    from confluent_kafka.admin import (
        AclBinding,
        AclOperation,
        AclPermissionType,
        AdminClient,
        ResourcePatternType,
        ResourceType,
    )

    bindings = [
        AclBinding(
            ResourceType.BROKER if g.resource == "cluster" else ResourceType[g.resource.upper()],
            "kafka-cluster" if g.resource == "cluster" else g.name,
            ResourcePatternType[g.pattern.upper()],
            f"User:{g.principal}",
            "*",
            AclOperation[_snake(g.operation)],
            AclPermissionType.ALLOW,
        )
        for g in (grants if grants is not None else all_grants())
    ]
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for future in admin.create_acls(bindings, request_timeout=timeout_s).values():
        future.result(timeout=timeout_s)
    return len(bindings)


def _snake(operation: str) -> str:
    """IdempotentWrite -> IDEMPOTENT_WRITE (confluent_kafka's AclOperation names)."""
    return "".join(f"_{c}" if c.isupper() and i else c for i, c in enumerate(operation)).upper()


def env_for_harness(state_dir: Path) -> dict[str, str]:
    path = identities_path(state_dir)
    return {IDENTITIES_ENV: str(path)} if path.exists() else {}
