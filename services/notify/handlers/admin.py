"""Admin changes of the notify service: the officer directory, webhook integrators and their
subscriptions. Each is made with a keyed entry in its chain, naming who made it and what it
changed, in the same transaction (shared/audit/admin.py): one chain per officer
(notify.directory), per integrator (notify.integrators) and per subscription (notify.webhooks).
Secrets are recorded by id only."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from services.notify.domain import Directory, Officer
from services.notify.ports import DirectoryStore, Doc, IntegratorStore, SubscriptionStore
from shared.audit.admin import Chaining, ChainMoved, View
from shared.auth import Principal

SOURCE = "/egov/notify"
DIRECTORY_CHAIN = "notify.directory"
INTEGRATORS_CHAIN = "notify.integrators"
WEBHOOKS_CHAIN = "notify.webhooks"
_INTEGRATOR = ("name", "event_types", "regions", "personal_data", "active")
_SUBSCRIPTION = ("owner", "url", "event_types", "regions", "personal_data", "description", "active")


def officer_view(officer: Officer | None) -> View | None:
    return None if officer is None else officer.model_dump(mode="json")


def integrator_view(doc: Doc | None) -> View | None:
    return None if doc is None else {k: doc.get(k) for k in _INTEGRATOR}


def subscription_view(doc: Doc | None) -> View | None:
    if doc is None:
        return None
    secrets = [s.get("id") for s in doc.get("secrets") or []]
    return {k: doc.get(k) for k in _SUBSCRIPTION} | {"secrets": secrets}


def _always(change: Callable[[Any], Awaitable[None]]) -> Callable[[Any], Awaitable[bool]]:
    async def work(session: Any) -> bool:
        await change(session)
        return True

    return work


# -- directory ----------------------------------------------------------------------------------


async def put_officer(
    chaining: Chaining,
    directory: DirectoryStore,
    officer: Officer,
    *,
    actor: Principal,
    source: str = "api",
) -> bool:
    """Add or change an officer; False (nothing written or chained) when nothing changes."""
    current = await directory.get_officer(officer.id)
    before, after = officer_view(current), officer_view(officer)
    if before == after:
        return False

    async def upsert(session: Any) -> None:
        await directory.upsert_officer(officer, source=source, session=session)

    action = "created" if current is None else "updated"
    return await chaining.record(
        _always(upsert),
        DIRECTORY_CHAIN,
        officer.id,
        action,
        actor=actor,
        before=before,
        after=after,
    )


async def remove_officer(
    chaining: Chaining, directory: DirectoryStore, officer_id: str, *, actor: Principal
) -> bool:
    current = await directory.get_officer(officer_id)
    if current is None:
        return False

    async def delete(session: Any) -> bool:
        return await directory.delete_officer(officer_id, session=session)

    before = officer_view(current)
    return await chaining.record(
        delete, DIRECTORY_CHAIN, officer_id, "removed", actor=actor, before=before, after=None
    )


async def load_directory(chaining: Chaining, store: DirectoryStore, directory: Directory) -> None:
    """The directory file's officers, each change chained as the file's; officers added through
    the admin API are kept."""
    actor = Principal(
        subject=f"notify (directory file {directory.version})", roles=frozenset({"system"})
    )
    kept = {o.id for o in directory.officers}
    gone = sorted(set(await store.officer_ids(source="file")) - kept)
    try:
        for officer in directory.officers:
            await put_officer(chaining, store, officer, actor=actor, source="file")
        for officer_id in gone:
            await remove_officer(chaining, store, officer_id, actor=actor)
    except ChainMoved:
        return  # another replica is loading the same file
    await store.save_version(directory)


# -- webhooks -----------------------------------------------------------------------------------


async def put_integrator(
    chaining: Chaining, integrators: IntegratorStore, doc: Doc, *, actor: Principal
) -> None:
    """Register, change or (``active`` False) deregister an integrator."""
    current = await integrators.get(doc["_id"])
    action = "registered" if current is None else "updated" if doc["active"] else "deregistered"

    async def put(session: Any) -> None:
        await integrators.put(doc, session=session)

    before, after = integrator_view(current), integrator_view(doc)
    await chaining.record(
        _always(put), INTEGRATORS_CHAIN, doc["_id"], action, actor=actor, before=before, after=after
    )


async def change_subscription(
    chaining: Chaining,
    action: str,
    work: Callable[[Any], Awaitable[bool]],
    *,
    before: Doc | None,
    after: Doc,
    actor: Principal,
) -> bool:
    """A subscription created, removed or given or relieved of a secret (``work`` does it);
    False when ``work`` found nothing to change."""
    return await chaining.record(
        work,
        WEBHOOKS_CHAIN,
        str(after["_id"]),
        action,
        actor=actor,
        before=subscription_view(before),
        after=subscription_view(after),
    )


async def subscribe(
    chaining: Chaining, subscriptions: SubscriptionStore, doc: Doc, *, actor: Principal
) -> None:
    async def add(session: Any) -> None:
        await subscriptions.add(doc, session=session)

    await change_subscription(
        chaining, "created", _always(add), before=None, after=doc, actor=actor
    )


async def unsubscribe(
    chaining: Chaining, subscriptions: SubscriptionStore, doc: Doc, *, actor: Principal
) -> bool:
    async def delete(session: Any) -> bool:
        return await subscriptions.delete(doc["_id"], session=session)

    after = doc | {"active": False}
    return await change_subscription(
        chaining, "removed", delete, before=doc, after=after, actor=actor
    )


async def add_secret(
    chaining: Chaining, subscriptions: SubscriptionStore, doc: Doc, secret: Doc, *, actor: Principal
) -> bool:
    async def add(session: Any) -> bool:
        return await subscriptions.add_secret(doc["_id"], secret, session=session)

    after = doc | {"secrets": [*(doc.get("secrets") or []), secret]}
    return await change_subscription(
        chaining, "secret added", add, before=doc, after=after, actor=actor
    )


async def remove_secret(
    chaining: Chaining,
    subscriptions: SubscriptionStore,
    doc: Doc,
    secret_id: str,
    *,
    actor: Principal,
) -> bool:
    async def remove(session: Any) -> bool:
        return await subscriptions.remove_secret(doc["_id"], secret_id, session=session)

    after = doc | {"secrets": [s for s in doc.get("secrets") or [] if s.get("id") != secret_id]}
    return await change_subscription(
        chaining, "secret retired", remove, before=doc, after=after, actor=actor
    )
