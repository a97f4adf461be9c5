"""Admin changes as keyed audit chains: the catalog, the officer directory, webhook integrators
and subscriptions, the working-day calendar.

One chain per thing changed (an item, an officer, an integrator, a subscription; chain_id is
its code or id), linked by the same rule as every other chain (shared/audit/chain.py) under the
audit key. Each entry names the principal who made the change (subject and roles), what it did
(``action``), the fields it changed with their old and new values, and a digest of the thing as
it stood afterwards (``state``): a later edit of the thing in the database that skipped the
chain no longer matches its last entry (``state_drift``). Values that must not be copied into a
record (secrets) are left out of the view a service passes in, by that service.
"""

from __future__ import annotations

import getpass
import hashlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from shared.audit.chain import BrokenLink, ChainHead, append, canonical_json
from shared.audit.checkpoints import checkpoint, checkpoint_event_id
from shared.audit.keys import AuditKeys
from shared.auth import Principal
from shared.clock import Clock
from shared.contracts import Envelope, make_envelope
from shared.settings import ServiceSettings

View = Mapping[str, Any]  # the thing as an admin change records it (JSON values only)


class AdminChange(BaseModel):
    """The body of one admin-change entry (the chain adds seq, key_id, prev_hash, hash)."""

    model_config = ConfigDict(frozen=True)

    chain: str  # the kind of chain, e.g. intake.catalog
    chain_id: str  # the thing changed: item code, officer id, integrator subject, ...
    action: str  # created, updated, closed, removed, loaded, published, ...
    actor: str  # the principal's subject
    roles: list[str] = Field(default_factory=list)
    at: AwareDatetime
    changes: dict[str, dict[str, Any]] = Field(default_factory=dict)  # field -> {from, to}
    state: str  # state_digest of the thing after the change ("" once it is removed)


def state_digest(view: View | None) -> str:
    """SHA-256 of the thing's canonical JSON; "" for a thing that no longer exists."""
    return "" if view is None else hashlib.sha256(canonical_json(view).encode()).hexdigest()


def changes_between(before: View | None, after: View | None) -> dict[str, dict[str, Any]]:
    """Each top-level field whose value differs, with its old and new value (None: absent)."""
    old, new = dict(before or {}), dict(after or {})
    return {
        name: {"from": old.get(name), "to": new.get(name)}
        for name in sorted(old.keys() | new.keys())
        if old.get(name) != new.get(name)
    }


def admin_change(
    chain: str,
    chain_id: str,
    action: str,
    *,
    actor: Principal,
    at: datetime,
    before: View | None,
    after: View | None,
) -> AdminChange:
    return AdminChange(
        chain=chain,
        chain_id=chain_id,
        action=action,
        actor=actor.subject,
        roles=sorted(actor.roles),
        # Entries are stored as JSON: at in UTC to the millisecond, as every store keeps times.
        at=at.astimezone(UTC).replace(microsecond=at.microsecond // 1000 * 1000),
        changes=changes_between(before, after),
        state=state_digest(after),
    )


@dataclass(frozen=True)
class LinkedChange:
    """An admin change linked after its chain's head: what the store writes with the change."""

    entry: dict[str, Any]
    previous: ChainHead  # the head the write expects to find (another writer moved it: refused)
    head: ChainHead
    event: Envelope  # the signed checkpoint of ``head``, for the outbox


def link_change(
    keys: AuditKeys, change: AdminChange, head: ChainHead, *, source: str
) -> LinkedChange:
    body = change.model_dump(mode="json")
    [entry], new_head = append(keys, [body], head=head)
    cp = checkpoint(
        keys, chain=change.chain, chain_id=change.chain_id, head=new_head, recorded_at=change.at
    )
    event = make_envelope(cp, source=source, time=change.at, id=checkpoint_event_id(cp))
    return LinkedChange(entry=entry, previous=head, head=new_head, event=event)


class ChainMoved(Exception):
    """The chain's head moved since it was read: another change of the same thing won."""


# The change itself, given the transaction to make it in (a store's session; None in memory);
# False when there was nothing to change.
Work = Callable[[Any], Awaitable[bool]]


class AdminChainReader(Protocol):
    """Where a service keeps its admin-change chains (shared/audit/admin_log.py in MongoDB)."""

    async def chain_ids(self, chain: str) -> list[str]: ...
    async def stored_head(self, chain: str, chain_id: str) -> ChainHead | None: ...
    async def entries(self, chain: str, chain_id: str) -> list[dict[str, Any]]: ...


class AdminLog(AdminChainReader, Protocol):
    async def head(self, chain: str, chain_id: str) -> ChainHead:
        """The head a new change links after (the chain's genesis when it has none)."""
        ...

    async def record(self, linked: LinkedChange, work: Work) -> bool:
        """``work`` and, when it changed something, ``linked`` with its checkpoint, at once;
        raises ChainMoved when the chain's head is no longer ``linked.previous``."""
        ...


@dataclass(frozen=True)
class Chaining:
    """What chaining a service's admin changes takes: where, under which key, at what time,
    and the source its checkpoints are published as."""

    log: AdminLog
    keys: AuditKeys
    clock: Clock
    source: str

    async def record(
        self,
        work: Work,
        chain: str,
        chain_id: str,
        action: str,
        *,
        actor: Principal,
        before: View | None,
        after: View | None,
    ) -> bool:
        """Make a change (``work``) and chain it, with who made it and what it changed, in
        one write; False when ``work`` found nothing to change (then nothing is chained)."""
        change = admin_change(
            chain, chain_id, action, actor=actor, at=self.clock.now(), before=before, after=after
        )
        head = await self.log.head(chain, chain_id)
        return await self.log.record(link_change(self.keys, change, head, source=self.source), work)


CurrentView = Callable[[str], Awaitable[View | None]]
EveryId = Callable[[], Awaitable[list[str]]]


class AdminChains:
    """The ``ChainSource`` of one kind of admin chain for `egov audit verify`: ``current`` reads
    a thing as it stands now (its view), ``every`` lists the things stored, so a thing changed
    or inserted in the database without an entry is reported (``state_drift``)."""

    def __init__(
        self, log: AdminLog, scope: str, noun: str, current: CurrentView, every: EveryId
    ) -> None:
        self.log, self.scope, self.noun = log, scope, noun
        self.current, self.every = current, every

    async def chain_ids(self) -> list[str]:
        return sorted(set(await self.log.chain_ids(self.scope)) | set(await self.every()))

    async def head(self, chain_id: str) -> ChainHead | None:
        stored = await self.log.stored_head(self.scope, chain_id)
        if stored is None and await self.current(chain_id) is not None:
            return ChainHead.start(self.scope, chain_id)  # a thing without a chain
        return stored

    async def entries(self, chain_id: str) -> list[dict[str, Any]]:
        return await self.log.entries(self.scope, chain_id)

    async def state_drift(
        self, chain_id: str, entries: Sequence[Mapping[str, Any]]
    ) -> BrokenLink | None:
        return state_drift(entries, await self.current(chain_id), noun=self.noun)

    async def adopt(self, chaining: Chaining, *, actor: Principal) -> list[str]:
        """Chain each thing stored without a chain as it stands (``adopted`` by ``actor``):
        for what was stored before its changes were chained. An operator's act (`egov audit
        adopt`), never automatic: it vouches for whatever it finds."""
        chained = set(await self.log.chain_ids(self.scope))
        adopted = []
        for chain_id in sorted(set(await self.every()) - chained):
            view = await self.current(chain_id)
            if view is not None and await chaining.record(
                _as_it_is, self.scope, chain_id, "adopted", actor=actor, before=None, after=view
            ):
                adopted.append(chain_id)
        return adopted


async def _as_it_is(_session: Any) -> bool:
    return True  # adopting changes nothing but the chain


def state_drift(
    entries: Sequence[Mapping[str, Any]], current: View | None, *, noun: str
) -> BrokenLink | None:
    """Whether the thing as stored now is what the chain's last entry says it became."""
    if not entries:
        if current is None:
            return None
        reason = (
            f"the stored {noun} has no audit entry: written in the database without one (or "
            "stored before its changes were chained: see `egov audit adopt`)"
        )
        return BrokenLink(index=0, seq=1, entry=None, reason=reason)
    last = entries[-1]
    if last.get("state") == state_digest(current):
        return None
    now = "is gone" if current is None else "differs"
    reason = (
        f"the stored {noun} {now} from what entry {len(entries)} recorded: changed in the "
        "database without an audit entry"
    )
    return BrokenLink(index=len(entries) - 1, seq=len(entries), entry=dict(last), reason=reason)


def operator(settings: ServiceSettings) -> Principal:
    """Who runs an operator's command: the broker principal it authenticates as (the one the
    topics' ACLs admit), else the local login, said to be unauthenticated."""
    subject = settings.kafka_sasl_username or f"{_login()} (no broker credentials)"
    return Principal(subject=subject, roles=frozenset({"operator"}))


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # a container's uid without a passwd entry
        return "unknown login"
