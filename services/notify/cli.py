"""The notify service's audit chains for `egov audit verify` (shared/audit/cli.py): each
officer's, integrator's and webhook subscription's admin changes, with who made them
(handlers/admin.py, shared/audit/admin.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from services.notify.handlers.admin import (
    DIRECTORY_CHAIN,
    INTEGRATORS_CHAIN,
    WEBHOOKS_CHAIN,
    integrator_view,
    officer_view,
    subscription_view,
)
from services.notify.settings import NotifySettings
from shared.audit.admin import AdminChains, View
from shared.audit.cli import OpenSource, mongo_source, register_source
from shared.audit.report import ChainSource

Viewer = Callable[[Any], View | None]


Reader = tuple[Callable[[str], Awaitable[Any]], Callable[[], Awaitable[list[str]]]]


def _chains(chain: str, noun: str, reader: Callable[[Any], Reader], view: Viewer) -> OpenSource:
    """The chains of a kind, each compared with the thing ``reader(db)`` reads (one, and the
    ids of all), as ``view`` records it."""

    def make(client: Any, db: Any) -> ChainSource:
        from shared.audit.admin_log import MongoAdminLog
        from shared.mongo import Outbox

        read, every = reader(db)

        async def current(chain_id: str) -> View | None:
            return view(await read(chain_id))

        log = MongoAdminLog(client, db, Outbox(db))
        return AdminChains(log, chain, noun, current, every)

    return mongo_source(NotifySettings, make)


def _officers(db: Any) -> Reader:
    from services.notify.store import MongoDirectory

    directory = MongoDirectory(db)

    async def every() -> list[str]:
        return [o.id for o in await directory.all_officers()]

    return directory.get_officer, every


def _integrators(db: Any) -> Reader:
    from services.notify.store import MongoIntegrators

    integrators = MongoIntegrators(db)

    async def every() -> list[str]:
        return [str(d["_id"]) for d in await integrators.all()]

    return integrators.get, every


def _subscriptions(db: Any) -> Reader:
    from services.notify.store import MongoSubscriptions

    subscriptions = MongoSubscriptions(db)

    async def every() -> list[str]:
        return [str(d["_id"]) for d in await subscriptions.owned_by(None)]

    return subscriptions.get, every


register_source(DIRECTORY_CHAIN, _chains(DIRECTORY_CHAIN, "officer", _officers, officer_view))
register_source(
    INTEGRATORS_CHAIN,
    _chains(INTEGRATORS_CHAIN, "webhook integrator", _integrators, integrator_view),
)
register_source(
    WEBHOOKS_CHAIN,
    _chains(WEBHOOKS_CHAIN, "webhook subscription", _subscriptions, subscription_view),
)
commands: dict[str, Any] = {}
