"""Reference data read for every consumed event, cached in the process (any store inside):
the webhook subscriptions by event type and the officers by role query (issue 22).

Both change rarely and only through this service (its webhook and directory APIs, the directory
file at start). A change made here invalidates the cache at once; a change made by another
replica is seen after at most ``ttl_s`` (``webhook_subscription_cache_s``,
``directory_cache_s``). A removed subscription or a retired secret is never used even then: the
webhook channel reads the subscription again before each send. Everything else passes through.

A change is written inside the admin chain's transaction. A read between the write and the
commit still sees the old data, so nothing read while a change of this process is uncommitted
(or that began before a change) is kept: the next event reads again.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, Generic, TypeVar

from services.notify.domain import Directory, Officer
from services.notify.ports import DirectoryStore, Doc, SubscriptionStore

T = TypeVar("T")
V = TypeVar("V")


class ReadCache(Generic[V]):
    """Values by key for ``ttl_s`` seconds, forgotten at every change made through it."""

    def __init__(self, ttl_s: float, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self.monotonic = monotonic
        self._values: dict[Hashable, tuple[float, V]] = {}
        self._generation = 0
        self._open: list[Any] = []  # sessions of this process's changes, until they end

    async def read(self, key: Hashable, load: Callable[[], Awaitable[V]]) -> V:
        now = self.monotonic()
        cached = self._values.get(key)
        if cached is not None and now - cached[0] < self.ttl_s:
            return copy.deepcopy(cached[1])
        self._open = [s for s in self._open if getattr(s, "in_transaction", False)]
        keep = not self._open and self.ttl_s > 0
        generation = self._generation
        value = await load()
        if keep and generation == self._generation:
            self._values[key] = (now, copy.deepcopy(value))
        return value

    async def change(self, session: Any, write: Awaitable[T]) -> T:
        """Forget what was read before, during and (for a transaction) until the commit."""
        self.forget()
        if session is not None:
            self._open.append(session)
        try:
            return await write
        finally:
            self.forget()

    def forget(self) -> None:
        self._values.clear()
        self._generation += 1


class CachedSubscriptions:
    def __init__(
        self,
        inner: SubscriptionStore,
        *,
        ttl_s: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.inner = inner
        self.cache: ReadCache[list[Doc]] = ReadCache(ttl_s, monotonic)

    async def for_event_type(self, event_type: str) -> list[Doc]:
        return await self.cache.read(event_type, lambda: self.inner.for_event_type(event_type))

    async def add(self, doc: Doc, *, session: Any = None) -> None:
        await self.cache.change(session, self.inner.add(doc, session=session))

    async def delete(self, subscription_id: str, *, session: Any = None) -> bool:
        return await self.cache.change(session, self.inner.delete(subscription_id, session=session))

    async def add_secret(self, subscription_id: str, secret: Doc, *, session: Any = None) -> bool:
        return await self.cache.change(
            session, self.inner.add_secret(subscription_id, secret, session=session)
        )

    async def remove_secret(
        self, subscription_id: str, secret_id: str, *, session: Any = None
    ) -> bool:
        return await self.cache.change(
            session, self.inner.remove_secret(subscription_id, secret_id, session=session)
        )

    async def get(self, subscription_id: str) -> Doc | None:
        return await self.inner.get(subscription_id)

    async def owned_by(self, owner: str | None) -> list[Doc]:
        return await self.inner.owned_by(owner)


class CachedDirectory:
    """The officers of a role query cached; single officers (an assignee, an admin's change)
    and the admin listings are read from the store every time."""

    def __init__(
        self,
        inner: DirectoryStore,
        *,
        ttl_s: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.inner = inner
        self.cache: ReadCache[list[Officer]] = ReadCache(ttl_s, monotonic)

    async def officers(
        self,
        *,
        role: str | None = None,
        department: str | None = None,
        section: str | None = None,
        departments: list[str] | None = None,
    ) -> list[Officer]:
        key = (role, department, section, tuple(departments) if departments is not None else None)
        return await self.cache.read(
            key,
            lambda: self.inner.officers(
                role=role, department=department, section=section, departments=departments
            ),
        )

    async def upsert_officer(self, officer: Officer, *, source: str, session: Any = None) -> None:
        await self.cache.change(
            session, self.inner.upsert_officer(officer, source=source, session=session)
        )

    async def delete_officer(self, officer_id: str, *, session: Any = None) -> bool:
        return await self.cache.change(
            session, self.inner.delete_officer(officer_id, session=session)
        )

    async def save_version(self, directory: Directory) -> None:
        await self.cache.change(None, self.inner.save_version(directory))

    async def all_officers(self, department: str | None = None) -> list[Officer]:
        return await self.inner.all_officers(department)

    async def get_officer(self, officer_id: str) -> Officer | None:
        return await self.inner.get_officer(officer_id)

    async def officer_ids(self, *, source: str) -> list[str]:
        return await self.inner.officer_ids(source=source)

    async def version(self) -> str | None:
        return await self.inner.version()
