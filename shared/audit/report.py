"""Verifying stored chains of one kind, one report per chain: the rule behind `egov audit verify`
whatever service keeps the chain."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from shared.audit.chain import BrokenLink, ChainHead, verify
from shared.audit.checkpoints import check_against_bus, latest_heads, of_chain
from shared.audit.keys import AuditKeys
from shared.contracts.events import AuditCheckpoint


class ChainSource(Protocol):
    """Where a service keeps the chains of one kind (its adapter over its database)."""

    scope: str  # the kind of chain, e.g. approval.case
    noun: str  # what a chain belongs to, in reports: "case", "record"

    async def chain_ids(self) -> list[str]:
        """Every chain with a stored head or entries."""
        ...

    async def head(self, chain_id: str) -> ChainHead | None:
        """The stored head; None when the record that holds it is missing."""
        ...

    async def entries(self, chain_id: str) -> list[dict[str, Any]]:
        """The chain's entries as stored, in ``seq`` order."""
        ...

    # Optional: ``async state_drift(chain_id, entries) -> BrokenLink | None``, whether the thing
    # the chain records still is what its last entry says (shared/audit/admin.py).


@dataclass
class ChainReport:
    noun: str
    chain_id: str
    entries: int
    head: ChainHead | None
    broken: BrokenLink | None
    checkpoints: int | None = None  # None: the bus was not read

    def lines(self) -> list[str]:
        name = f"{self.noun} {self.chain_id}"
        if self.broken is not None:
            out = [f"{name}: BROKEN at {self.broken.describe()}"]
            if self.broken.entry is not None:
                out.append("  entry: " + json.dumps(self.broken.entry, ensure_ascii=False))
            return out
        head = self.head.hash[:16] if self.head else "-"
        bus = "" if self.checkpoints is None else f", agrees with {self.checkpoints} on the bus"
        return [f"{name}: OK ({self.entries} entries, head {head}{bus})"]


async def audit_chain(
    source: ChainSource,
    chain_id: str,
    *,
    keys: AuditKeys,
    bus: Sequence[AuditCheckpoint] | None = None,
) -> ChainReport | None:
    """One chain's report; None when the database holds nothing of it (and the bus, when read,
    no checkpoint of it)."""
    head = await source.head(chain_id)
    entries = await source.entries(chain_id)
    checkpointed = getattr(source, "checkpointed", True)  # False: its entries are on the bus
    mine = None if bus is None or not checkpointed else of_chain(bus, source.scope, chain_id)
    if head is None and not entries and not mine:
        return None
    broken = verify(entries, keys=keys, scope=source.scope, chain_id=chain_id, head=head)
    if broken is None and head is None:
        reason = f"the {source.noun} record (which holds the chain's head) is missing"
        broken = BrokenLink(index=0, seq=1, entry=None, reason=reason)
    if broken is None and head is not None and mine is not None:
        broken = check_against_bus(entries, head, mine, keys=keys)
    drift = getattr(source, "state_drift", None)  # sources of admin changes (admin.py)
    if broken is None and drift is not None:
        broken = await drift(chain_id, entries)
    checkpoints = None if mine is None else len(mine)
    return ChainReport(source.noun, chain_id, len(entries), head, broken, checkpoints)


async def audit_all(
    source: ChainSource, *, keys: AuditKeys, bus: Sequence[AuditCheckpoint] | None = None
) -> list[ChainReport]:
    """Every chain the database holds and (with the bus) every chain the bus knows of: one
    deleted from the database is reported."""
    ids = set(await source.chain_ids())
    if bus is not None:
        ids |= set(latest_heads(bus, source.scope))
    reports = [await audit_chain(source, i, keys=keys, bus=bus) for i in sorted(ids)]
    return [r for r in reports if r is not None]
