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


def _chains(
    chain: str,
    noun: str,
    reader: Callable[[Any], Callable[[str], Awaitable[Any]]],
    view: Callable[[Any], View | None],
) -> OpenSource:
    """The chains of a kind, each compared with the thing ``reader(db)`` reads, as ``view``."""

    def make(client: Any, db: Any) -> ChainSource:
        from shared.audit.admin_log import MongoAdminLog
        from shared.mongo import Outbox

        read = reader(db)

        async def current(chain_id: str) -> View | None:
            return view(await read(chain_id))

        return AdminChains(MongoAdminLog(client, db, Outbox(db)), chain, noun, current)

    return mongo_source(NotifySettings, make)


def _officers(db: Any) -> Callable[[str], Awaitable[Any]]:
    from services.notify.store import MongoDirectory

    return MongoDirectory(db).get_officer


def _integrators(db: Any) -> Callable[[str], Awaitable[Any]]:
    from services.notify.store import MongoIntegrators

    return MongoIntegrators(db).get


def _subscriptions(db: Any) -> Callable[[str], Awaitable[Any]]:
    from services.notify.store import MongoSubscriptions

    return MongoSubscriptions(db).get


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
