"""Webhook subscriptions by event type, cached in the process (any SubscriptionStore inside).

Every consumed event asks which subscriptions want it; they change rarely and only through this
service's webhook API. A change made here invalidates the cache at once; a change made by
another replica is seen after at most ``ttl_s`` (the setting ``webhook_subscription_cache_s``),
and even then a removed subscription or a retired secret is never used: the webhook channel
reads the subscription again before each send. Everything else passes through.

A change is written inside the admin chain's transaction. A read between the write and the
commit still sees the old subscriptions, so nothing read while a change of this process is
uncommitted (or that began before a change) is kept: the next event reads again.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from services.notify.ports import Doc, SubscriptionStore

T = TypeVar("T")


class CachedSubscriptions:
    def __init__(
        self,
        inner: SubscriptionStore,
        *,
        ttl_s: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.inner = inner
        self.ttl_s = ttl_s
        self.monotonic = monotonic
        self._by_type: dict[str, tuple[float, list[Doc]]] = {}
        self._generation = 0
        self._open: list[Any] = []  # sessions of this process's changes, until they end

    async def for_event_type(self, event_type: str) -> list[Doc]:
        now = self.monotonic()
        cached = self._by_type.get(event_type)
        if cached is not None and now - cached[0] < self.ttl_s:
            return copy.deepcopy(cached[1])
        self._open = [s for s in self._open if getattr(s, "in_transaction", False)]
        keep = not self._open and self.ttl_s > 0
        generation = self._generation
        docs = await self.inner.for_event_type(event_type)
        if keep and generation == self._generation:
            self._by_type[event_type] = (now, copy.deepcopy(docs))
        return docs

    async def _change(self, session: Any, write: Awaitable[T]) -> T:
        """Forget what was read before, during and (for a transaction) until the commit."""
        self._forget()
        if session is not None:
            self._open.append(session)
        try:
            return await write
        finally:
            self._forget()

    def _forget(self) -> None:
        self._by_type.clear()
        self._generation += 1

    async def add(self, doc: Doc, *, session: Any = None) -> None:
        await self._change(session, self.inner.add(doc, session=session))

    async def delete(self, subscription_id: str, *, session: Any = None) -> bool:
        return await self._change(session, self.inner.delete(subscription_id, session=session))

    async def add_secret(self, subscription_id: str, secret: Doc, *, session: Any = None) -> bool:
        return await self._change(
            session, self.inner.add_secret(subscription_id, secret, session=session)
        )

    async def remove_secret(
        self, subscription_id: str, secret_id: str, *, session: Any = None
    ) -> bool:
        return await self._change(
            session, self.inner.remove_secret(subscription_id, secret_id, session=session)
        )

    async def get(self, subscription_id: str) -> Doc | None:
        return await self.inner.get(subscription_id)

    async def owned_by(self, owner: str | None) -> list[Doc]:
        return await self.inner.owned_by(owner)
