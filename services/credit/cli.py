"""The credit service's audit chains for `egov audit verify` (shared/audit/cli.py): each record's
history, with who changed it, its head stored with the record."""

from __future__ import annotations

from typing import Any

from services.credit.handlers import AUDIT_CHAIN, audit_head, history_entries
from services.credit.ports import CreditStore
from services.credit.settings import CreditSettings
from shared.audit import ChainHead
from shared.audit.cli import mongo_source, register_source
from shared.audit.report import ChainSource


class RecordHistories:
    scope = AUDIT_CHAIN
    noun = "record"

    def __init__(self, store: CreditStore) -> None:
        self.store = store

    async def chain_ids(self) -> list[str]:
        return await self.store.record_ids()

    async def head(self, chain_id: str) -> ChainHead | None:
        record = await self.store.record(chain_id)
        return None if record is None else audit_head(record)

    async def entries(self, chain_id: str) -> list[dict[str, Any]]:
        record = await self.store.record(chain_id)
        return [] if record is None else history_entries(record)


def _histories(client: Any, db: Any) -> ChainSource:
    from services.credit.store import MongoCreditStore
    from shared.mongo import Outbox

    return RecordHistories(MongoCreditStore(client, db, Outbox(db)))


open_histories = mongo_source(CreditSettings, _histories)


register_source(AUDIT_CHAIN, open_histories)
commands: dict[str, Any] = {}
