"""An in-memory admin-change log (the port MongoAdminLog implements), for the unit tests of
every service that chains admin changes."""

from __future__ import annotations

import copy
from typing import Any

from shared.audit import ChainHead
from shared.audit.admin import ChainMoved, LinkedChange, Work
from shared.contracts import AuditCheckpoint


class MemoryAdminLog:
    def __init__(self) -> None:
        self.chains: dict[tuple[str, str], tuple[ChainHead, list[dict[str, Any]]]] = {}
        self.checkpoints: list[AuditCheckpoint] = []  # what the outbox would publish

    async def head(self, chain: str, chain_id: str) -> ChainHead:
        return await self.stored_head(chain, chain_id) or ChainHead.start(chain, chain_id)

    async def record(self, linked: LinkedChange, work: Work) -> bool:
        key = (linked.entry["chain"], linked.entry["chain_id"])
        stored = self.chains.get(key, (ChainHead.start(*key), []))[0]
        if stored != linked.previous:
            raise ChainMoved("/".join(key))
        if not await work(None):
            return False
        entries = self.chains.get(key, (linked.head, []))[1]
        self.chains[key] = (linked.head, [*entries, copy.deepcopy(linked.entry)])
        self.checkpoints.append(AuditCheckpoint.model_validate(linked.event.data))
        return True

    async def chain_ids(self, chain: str) -> list[str]:
        return sorted(i for c, i in self.chains if c == chain)

    async def stored_head(self, chain: str, chain_id: str) -> ChainHead | None:
        found = self.chains.get((chain, chain_id))
        return None if found is None else found[0]

    async def entries(self, chain: str, chain_id: str) -> list[dict[str, Any]]:
        found = self.chains.get((chain, chain_id))
        return [] if found is None else copy.deepcopy(found[1])

    def tamper(self, chain: str, chain_id: str, index: int, **fields: Any) -> None:
        """Edit a stored entry in place, as someone with write access to the database could."""
        self.chains[(chain, chain_id)][1][index].update(fields)
