"""The audit keys: what every link of an audit chain and every checkpoint is keyed with.

A deployment holds them outside the database (``EGOV_AUDIT_KEY``, a Secret in k8s), so whoever
can write MongoDB but not read the Secret cannot compute a link: a rewritten or forged entry,
even one rehashed from the start, fails verification.

The setting holds one key, or several separated by spaces or commas: the first signs new links,
the others only verify the links written under them (rotation). Each link names its key by id,
a fingerprint derived from the key itself, so a key cannot be filed under the wrong id and the id
reveals nothing of the key.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass

# Published, so chains keyed with it can be rewritten by anyone who reads this file: for
# development and tests only. Production sets its own (EGOV_AUDIT_KEY, refused when missing or
# short with EGOV_ENVIRONMENT=prod).
DEV_AUDIT_KEY = "egov-dev-audit-key-published-not-secret"
MIN_AUDIT_KEY_CHARS = 32
_SEPARATORS = re.compile(r"[\s,]+")


def split_keys(setting: str) -> list[str]:
    """The keys of an ``EGOV_AUDIT_KEY`` value, signing key first."""
    return [k for k in _SEPARATORS.split(setting.strip()) if k]


def key_id(key: str) -> str:
    """A key's id: a keyed fingerprint (12 hex digits), the same wherever the key is."""
    return hmac.new(key.encode(), b"egov-audit-key-id", hashlib.sha256).hexdigest()[:12]


@dataclass(frozen=True)
class AuditKeys:
    """The signing key's id and every key a link may name."""

    signing_id: str
    keys: Mapping[str, bytes]

    @classmethod
    def from_setting(cls, setting: str) -> AuditKeys:
        found = split_keys(setting)
        if not found:
            raise ValueError("the audit key must not be empty")
        return cls(signing_id=key_id(found[0]), keys={key_id(k): k.encode() for k in found})

    def mac(self, kid: str, message: bytes) -> str | None:
        """HMAC-SHA-256 of ``message`` under the key ``kid``; None for a key not held."""
        key = self.keys.get(kid)
        return None if key is None else hmac.new(key, message, hashlib.sha256).hexdigest()

    def sign(self, message: bytes) -> tuple[str, str]:
        """(key id, HMAC) under the signing key."""
        mac = self.mac(self.signing_id, message)
        assert mac is not None  # the signing key is always held
        return self.signing_id, mac


def refused_in_production(setting: str) -> str | None:
    """Why ``setting`` may not key a production deployment's chains; None when it may."""
    found = split_keys(setting)
    if not found:
        return "no key"
    if DEV_AUDIT_KEY in found:
        return "the published development key"
    if any(len(k) < MIN_AUDIT_KEY_CHARS for k in found):
        return f"a key of fewer than {MIN_AUDIT_KEY_CHARS} characters"
    return None
