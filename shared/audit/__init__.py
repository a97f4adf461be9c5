"""Keyed audit chains, their signed checkpoints on the bus, and their verification: one module
for every service that records who did what (docs/security.md#audit-chain)."""

from shared.audit.chain import (
    BrokenLink,
    ChainHead,
    append,
    append_models,
    genesis,
    link_hash,
    verify,
)
from shared.audit.checkpoints import (
    check_against_bus,
    checkpoint,
    checkpoint_event_id,
    checkpoint_key,
    latest_heads,
    of_chain,
)
from shared.audit.keys import DEV_AUDIT_KEY, MIN_AUDIT_KEY_CHARS, AuditKeys, key_id

__all__ = [
    "DEV_AUDIT_KEY",
    "MIN_AUDIT_KEY_CHARS",
    "AuditKeys",
    "BrokenLink",
    "ChainHead",
    "append",
    "append_models",
    "check_against_bus",
    "checkpoint",
    "checkpoint_event_id",
    "checkpoint_key",
    "genesis",
    "key_id",
    "latest_heads",
    "link_hash",
    "of_chain",
    "verify",
]
