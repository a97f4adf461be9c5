"""The approval service's audit chains for `egov audit verify` (shared/audit/cli.py): each case's
timeline, its head stored with the case."""

from __future__ import annotations

from typing import Any

from services.approval.archive_cli import archive_app
from services.approval.handlers import AUDIT_CHAIN, audit_head
from services.approval.ports import CaseStore
from services.approval.settings import ApprovalSettings
from shared.audit import ChainHead
from shared.audit.cli import mongo_source, register_source
from shared.audit.report import ChainSource


class CaseTimelines:
    scope = AUDIT_CHAIN
    noun = "case"

    def __init__(self, store: CaseStore) -> None:
        self.store = store

    async def chain_ids(self) -> list[str]:
        return await self.store.case_ids()

    async def head(self, chain_id: str) -> ChainHead | None:
        case = await self.store.get(chain_id)
        return None if case is None else audit_head(case)

    async def entries(self, chain_id: str) -> list[dict[str, Any]]:
        return await self.store.timeline(chain_id)


def _timelines(client: Any, db: Any) -> ChainSource:
    from services.approval.store import MongoCaseStore
    from shared.mongo import Outbox

    return CaseTimelines(MongoCaseStore(client, db, Outbox(db)))


open_timelines = mongo_source(ApprovalSettings, _timelines)


register_source(AUDIT_CHAIN, open_timelines)
commands: dict[str, Any] = {"archive": archive_app}
