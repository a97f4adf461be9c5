"""Audit chains: an append-only record whose every link is keyed, one rule for every service.

Each entry carries its number (``seq``), the id of the key it was linked with (``key_id``), the
previous entry's hash (``prev_hash``; for the first entry the chain's genesis, bound to what the
chain records, so a chain cannot be moved to another case) and its own ``hash``: HMAC-SHA-256
under the audit key of the entry's canonical JSON without ``hash``. Altering, removing,
reordering or forging an entry breaks its link; rewriting the whole chain needs the key, which
the database does not hold. What the database does hold is the chain's head (count and last
hash, stored with the record the chain belongs to): a chain whose last entries were dropped no
longer ends at its head. A rewrite of both the entries and the head is caught by the signed
checkpoints on the bus (shared/audit/checkpoints.py).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict

from shared.audit.keys import AuditKeys

# Fields the chain adds to an entry; a body passed to ``append`` must not set them.
CHAIN_FIELDS = ("seq", "key_id", "prev_hash", "hash")


def canonical_json(value: Mapping[str, Any]) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def genesis(scope: str, chain_id: str) -> str:
    """What the first entry links to: bound to the kind of chain and to its case or subject."""
    message = "\x1f".join(("egov-audit-genesis", scope, chain_id)).encode()
    return hashlib.sha256(message).hexdigest()


def link_hash(keys: AuditKeys, entry: Mapping[str, Any]) -> str | None:
    """The keyed hash of an entry under the key it names; None for an unknown key or none."""
    kid = entry.get("key_id")
    if not isinstance(kid, str):
        return None
    content = {k: v for k, v in entry.items() if k not in ("hash", "_id")}
    return keys.mac(kid, canonical_json(content).encode("utf-8"))


class ChainHead(BaseModel):
    """How many entries a chain has and the hash of its last one (its genesis when empty)."""

    model_config = ConfigDict(frozen=True)

    count: int
    hash: str

    @classmethod
    def start(cls, scope: str, chain_id: str) -> ChainHead:
        return cls(count=0, hash=genesis(scope, chain_id))


def append(
    keys: AuditKeys,
    bodies: Iterable[Mapping[str, Any]],
    *,
    head: ChainHead,
) -> tuple[list[dict[str, Any]], ChainHead]:
    """Link ``bodies`` after ``head`` under the signing key; returns the entries and new head."""
    entries: list[dict[str, Any]] = []
    count, prev = head.count, head.hash
    for body in bodies:
        if clash := set(CHAIN_FIELDS) & set(body):
            raise ValueError(f"an audit entry's body may not set {sorted(clash)}")
        count += 1
        entry: dict[str, Any] = {**body, "seq": count, "key_id": keys.signing_id}
        entry["prev_hash"] = prev
        entry["hash"] = prev = keys.sign(canonical_json(entry).encode("utf-8"))[1]
        entries.append(entry)
    return entries, ChainHead(count=count, hash=prev)


def append_models(
    keys: AuditKeys,
    models: Sequence[BaseModel],
    *,
    head: ChainHead,
    defaults: Mapping[str, Any] | None = None,
) -> tuple[list[dict[str, Any]], ChainHead]:
    """``append`` for entries kept as models inside a record (a credit record's history, an
    intake case's timeline): each model's JSON form without its chain fields, with ``defaults``
    filling fields the rules left empty (the actor, known to the handler)."""
    bodies = []
    for model in models:
        body = model.model_dump(mode="json", exclude=set(CHAIN_FIELDS))
        body.update({k: v for k, v in (defaults or {}).items() if body.get(k) is None})
        bodies.append(body)
    return append(keys, bodies, head=head)


class BrokenLink(BaseModel):
    """The first place a chain does not check out."""

    model_config = ConfigDict(frozen=True)

    index: int  # position in the entries as read, from 0 (== len(entries) when one is missing)
    seq: int  # the entry number expected there
    entry: dict[str, Any] | None  # the offending entry as stored; None when it is missing
    reason: str

    def describe(self) -> str:
        return f"entry {self.seq} (index {self.index}): {self.reason}"


def same_digest(a: object, b: object) -> bool:
    return isinstance(a, str) and isinstance(b, str) and hmac.compare_digest(a, b)


def _link_problem(
    keys: AuditKeys, entry: Mapping[str, Any], previous: str, first: bool
) -> str | None:
    kid = str(entry.get("key_id"))
    if kid not in keys.keys:
        return f"linked with key {kid!r}, which this deployment does not hold"
    if not same_digest(entry.get("prev_hash"), previous):
        if first:
            return "does not start from this chain's genesis (moved from another chain?)"
        return "prev_hash does not match the previous entry (entries removed or reordered)"
    if not same_digest(link_hash(keys, entry), entry.get("hash")):
        return "content does not match its keyed hash (altered, or hashed without the audit key)"
    return None


def verify(
    entries: Sequence[Mapping[str, Any]],
    *,
    keys: AuditKeys,
    scope: str,
    chain_id: str,
    head: ChainHead | None,
) -> BrokenLink | None:
    """The first entry (in ``seq`` order) whose number, link or content does not check out;
    then, when the stored ``head`` is given, whether the chain ends exactly there."""
    previous = genesis(scope, chain_id)
    for index, entry in enumerate(entries):
        expected = index + 1
        found = entry.get("seq")
        if not entry.get("key_id"):
            reason = "unkeyed entry (no key id): not written by a keyed chain"
            return BrokenLink(index=index, seq=expected, entry=dict(entry), reason=reason)
        if found != expected:
            reason = f"entry {expected} is missing (the next one stored is {found})"
            return BrokenLink(index=index, seq=expected, entry=dict(entry), reason=reason)
        problem = _link_problem(keys, entry, previous, first=index == 0)
        if problem is not None:
            return BrokenLink(index=index, seq=expected, entry=dict(entry), reason=problem)
        previous = str(entry["hash"])
    return None if head is None else _head_problem(entries, head, previous)


def _head_problem(
    entries: Sequence[Mapping[str, Any]], head: ChainHead, last: str
) -> BrokenLink | None:
    n = len(entries)
    if n < head.count:
        reason = (
            f"the chain ends at entry {n} but its stored head is entry {head.count}: "
            f"the last {head.count - n} entries were removed"
        )
        return BrokenLink(index=n, seq=n + 1, entry=None, reason=reason)
    if n > head.count:
        reason = f"entries after the stored head (entry {head.count}) were added"
        return BrokenLink(
            index=head.count, seq=head.count + 1, entry=dict(entries[head.count]), reason=reason
        )
    if not same_digest(last, head.hash):
        reason = "the last entry is not the stored head (the chain was rewritten)"
        last_entry = dict(entries[-1]) if entries else None
        return BrokenLink(index=max(n - 1, 0), seq=max(n, 1), entry=last_entry, reason=reason)
    return None
