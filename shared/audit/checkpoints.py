"""Signed checkpoints of audit chains, and the check of a stored chain against them.

Each time a chain's head moves, the service writes an ``AuditCheckpoint`` (its count, head hash
and time, HMAC-signed with the audit key) to its outbox in the transaction that moves the head;
the relay publishes it on ``egov.audit.checkpoints``, where nothing is compacted away. Whoever
rewrites the database afterwards (entries and stored head together, even with the key) cannot
unpublish what the bus recorded: every checkpoint must still match the entry it names, and the
latest must be the stored head.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from shared.audit.chain import BrokenLink, ChainHead, canonical_json, same_digest
from shared.audit.keys import AuditKeys
from shared.contracts.envelope import derived_event_id
from shared.contracts.events import AuditCheckpoint

_DOMAIN = "egov-audit-checkpoint"


def _message(chain: str, chain_id: str, count: int, head: str, at: datetime, kid: str) -> bytes:
    fields = {
        "chain": chain,
        "chain_id": chain_id,
        "count": count,
        "head": head,
        "key_id": kid,
        "recorded_at": at.astimezone(UTC).isoformat(),  # one spelling per instant
    }
    return f"{_DOMAIN}\x1f{canonical_json(fields)}".encode()


def checkpoint(
    keys: AuditKeys, *, chain: str, chain_id: str, head: ChainHead, recorded_at: datetime
) -> AuditCheckpoint:
    """The signed checkpoint of ``head``."""
    kid, signature = keys.sign(
        _message(chain, chain_id, head.count, head.hash, recorded_at, keys.signing_id)
    )
    return AuditCheckpoint(
        chain=chain,
        chain_id=chain_id,
        count=head.count,
        head=head.hash,
        recorded_at=recorded_at,
        key_id=kid,
        signature=signature,
    )


def checkpoint_key(cp: AuditCheckpoint) -> tuple[str, ...]:
    """What a checkpoint's event id is derived from: a replay publishes the same id, and two
    chains of one case (approval's timeline, intake's) never share one."""
    return (cp.chain_id, "audit", cp.chain, str(cp.count))


def checkpoint_event_id(cp: AuditCheckpoint) -> str:
    return derived_event_id(*checkpoint_key(cp))


def signature_ok(keys: AuditKeys, cp: AuditCheckpoint) -> bool:
    message = _message(cp.chain, cp.chain_id, cp.count, cp.head, cp.recorded_at, cp.key_id)
    return same_digest(keys.mac(cp.key_id, message), cp.signature)


def of_chain(
    checkpoints: Iterable[AuditCheckpoint], chain: str, chain_id: str
) -> list[AuditCheckpoint]:
    """One chain's checkpoints in count order."""
    mine = [c for c in checkpoints if c.chain == chain and c.chain_id == chain_id]
    return sorted(mine, key=lambda c: c.count)


def latest_heads(checkpoints: Iterable[AuditCheckpoint], chain: str) -> dict[str, ChainHead]:
    """The newest checkpointed head of each chain of a kind (by count)."""
    heads: dict[str, ChainHead] = {}
    for c in checkpoints:
        if c.chain == chain and c.count >= heads.get(c.chain_id, ChainHead(count=0, hash="")).count:
            heads[c.chain_id] = ChainHead(count=c.count, hash=c.head)
    return heads


def check_against_bus(
    entries: Sequence[Mapping[str, Any]],
    head: ChainHead,
    checkpoints: Sequence[AuditCheckpoint],
    *,
    keys: AuditKeys,
) -> BrokenLink | None:
    """Where the stored chain (``entries`` up to the stored ``head``) disagrees with what its
    checkpoints on the bus say (``checkpoints``: this chain's, any order); None when it agrees.

    Checked: each checkpoint's signature; the entry each names has the hash it recorded; and
    the newest is the stored head (a head ahead of the bus is reported too: its checkpoint may
    still wait in the outbox, so a repeat a few seconds later tells the two apart).
    """
    by_seq = {e.get("seq"): e for e in entries}
    ordered = sorted(checkpoints, key=lambda c: c.count)
    for cp in ordered:
        index = cp.count - 1
        if not signature_ok(keys, cp):
            reason = f"the bus's checkpoint of entry {cp.count} has a bad signature (forged)"
            return BrokenLink(index=index, seq=cp.count, entry=None, reason=reason)
        entry = by_seq.get(cp.count)
        if entry is None:
            # Report the first entry missing, not the checkpoint's (``entries`` run from 1).
            n = len(entries)
            reason = (
                f"the bus checkpointed entry {cp.count} ({cp.recorded_at.isoformat()}); the "
                f"database ends at entry {n}: entries {n + 1}-{cp.count} were removed"
            )
            return BrokenLink(index=n, seq=n + 1, entry=None, reason=reason)
        if not same_digest(entry.get("hash"), cp.head):
            reason = (
                f"the bus checkpointed entry {cp.count} as {cp.head[:16]}; the database has "
                f"{str(entry.get('hash'))[:16]} (rewritten after {cp.recorded_at.isoformat()})"
            )
            return BrokenLink(index=index, seq=cp.count, entry=dict(entry), reason=reason)
    newest = ordered[-1].count if ordered else 0
    if newest < head.count:
        entry = by_seq.get(newest + 1)
        reason = (
            f"the stored head is entry {head.count} but the bus's newest checkpoint is of "
            f"entry {newest}: not yet relayed from the outbox, or added without a checkpoint"
        )
        return BrokenLink(
            index=newest, seq=newest + 1, entry=dict(entry) if entry else None, reason=reason
        )
    if newest > head.count:
        reason = (
            f"the bus's newest checkpoint is of entry {newest} but the stored head is entry "
            f"{head.count}: the head was moved back"
        )
        return BrokenLink(index=head.count, seq=head.count + 1, entry=None, reason=reason)
    return None
