"""Settings complete enough to start in production, for tests that change one of them."""

from __future__ import annotations

from typing import Any

PRODUCTION: dict[str, Any] = {
    "environment": "prod",
    "event_id_key": "k" * 48,
    "audit_key": "a" * 48,
    "mongo_uri": "mongodb://egov-intake:pw@mongo-0.mongo:27017/?replicaSet=rs0",
    "jwt_algorithm": "RS256",
    "jwt_jwks_url": "https://idp.example/realms/egov/protocol/openid-connect/certs",
    "jwt_max_lifetime_s": 3600,
    "service_key_file": "/etc/egov/service-key/key.pem",
    "service_jwks_file": "/etc/egov/service-jwks/jwks.json",
    # intake and approval keep files (ignored by the services without an object store)
    "object_store_access_key": "egov-intake-access",
    "object_store_secret_key": "s" * 40,
}
