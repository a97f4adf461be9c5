"""The intake service's audit chains for `egov audit verify` (shared/audit/cli.py): each case's
timeline as the applicant sees it, with who moved the case, its head stored with the case; each
bundle application's own steps (its rating, its rectification's answer) likewise; and each
catalog item's changes, with who made them (shared/audit/admin.py)."""

from __future__ import annotations

from typing import Any

from services.intake.handlers.audit import (
    AUDIT_CHAIN,
    BUNDLE_AUDIT_CHAIN,
    audit_head,
    bundle_audit_head,
    timeline_entries,
)
from services.intake.handlers.bundle_catalog import BUNDLE_CHAIN
from services.intake.handlers.catalog import CATALOG_CHAIN
from services.intake.ports import BundleStore, IntakeStore
from services.intake.settings import IntakeSettings
from shared.audit import ChainHead
from shared.audit.admin import AdminChains
from shared.audit.cli import mongo_source, register_source
from shared.audit.report import ChainSource


class CaseTimelines:
    scope = AUDIT_CHAIN
    noun = "intake case"

    def __init__(self, store: IntakeStore) -> None:
        self.store = store

    async def chain_ids(self) -> list[str]:
        return await self.store.case_ids()

    async def head(self, chain_id: str) -> ChainHead | None:
        case = await self.store.get_case(chain_id)
        return None if case is None else audit_head(case)

    async def entries(self, chain_id: str) -> list[dict[str, Any]]:
        case = await self.store.get_case(chain_id)
        return [] if case is None else timeline_entries(case)


class BundleTimelines:
    """A bundle application's own steps (its rating, its rectification's answer); its items'
    steps are on their cases' chains."""

    scope = BUNDLE_AUDIT_CHAIN
    noun = "bundle application"

    def __init__(self, bundles: BundleStore) -> None:
        self.bundles = bundles

    async def chain_ids(self) -> list[str]:
        return await self.bundles.chained_application_ids()

    async def head(self, chain_id: str) -> ChainHead | None:
        app = await self.bundles.get_application(chain_id)
        return None if app is None else bundle_audit_head(app)

    async def entries(self, chain_id: str) -> list[dict[str, Any]]:
        app = await self.bundles.get_application(chain_id)
        return [] if app is None else [e.model_dump(mode="json") for e in app.timeline]


def _timelines(client: Any, db: Any) -> ChainSource:
    from services.intake.store import MongoIntakeStore
    from shared.clock import SystemClock
    from shared.mongo import Outbox

    return CaseTimelines(MongoIntakeStore(client, db, Outbox(db), clock=SystemClock()))


def _catalog(client: Any, db: Any) -> ChainSource:
    from services.intake.store import MongoIntakeStore
    from shared.audit.admin_log import MongoAdminLog
    from shared.clock import SystemClock
    from shared.mongo import Outbox

    store = MongoIntakeStore(client, db, Outbox(db), clock=SystemClock())
    log = MongoAdminLog(client, db, Outbox(db))
    return AdminChains(log, CATALOG_CHAIN, "catalog item", store.stored_item, store.item_codes)


def _bundles(client: Any, db: Any) -> ChainSource:
    from services.intake.bundles_store import MongoBundleStore
    from services.intake.store import MongoIntakeStore
    from shared.audit.admin_log import MongoAdminLog
    from shared.clock import SystemClock
    from shared.mongo import Outbox

    bundles = MongoBundleStore(MongoIntakeStore(client, db, Outbox(db), clock=SystemClock()))
    log = MongoAdminLog(client, db, Outbox(db))
    return AdminChains(log, BUNDLE_CHAIN, "bundle", bundles.stored_bundle, bundles.bundle_codes)


def _bundle_timelines(client: Any, db: Any) -> ChainSource:
    from services.intake.bundles_store import MongoBundleStore
    from services.intake.store import MongoIntakeStore
    from shared.clock import SystemClock
    from shared.mongo import Outbox

    store = MongoIntakeStore(client, db, Outbox(db), clock=SystemClock())
    return BundleTimelines(MongoBundleStore(store))


open_timelines = mongo_source(IntakeSettings, _timelines)
register_source(AUDIT_CHAIN, open_timelines)
register_source(CATALOG_CHAIN, mongo_source(IntakeSettings, _catalog))
register_source(BUNDLE_CHAIN, mongo_source(IntakeSettings, _bundles))
register_source(BUNDLE_AUDIT_CHAIN, mongo_source(IntakeSettings, _bundle_timelines))
commands: dict[str, Any] = {}
