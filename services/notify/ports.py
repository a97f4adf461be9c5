"""What the notify handlers need from the outside world."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from services.notify.domain import ChannelName, Directory, Officer, RecipientKind, SendResult
from shared.contracts import Envelope

Doc = dict[str, Any]


@dataclass(frozen=True)
class Message:
    """One rendered delivery handed to a channel."""

    delivery_id: str
    channel: ChannelName
    address: str  # email, phone, inbox owner or webhook subscription id
    recipient_key: str
    recipient_kind: RecipientKind
    template: str
    subject: str
    body: str
    event_id: str
    event_type: str
    case_id: str | None = None
    payload: bytes = b""  # webhook: the original CloudEvent
    personal: list[str] = field(default_factory=list)


class Channel(Protocol):
    """An outbound channel. ``send`` never raises for delivery problems: it classifies them."""

    name: ChannelName

    async def send(self, message: Message) -> SendResult: ...


@runtime_checkable
class StoredChannel(Protocol):
    """A channel whose sending is a write into this service's own database (the inbox): a
    delivery due now is sent by writing ``item(message)`` in the transaction that records it."""

    name: ChannelName

    async def send(self, message: Message) -> SendResult: ...
    def item(self, message: Message) -> Doc: ...


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


class Renderer(Protocol):
    def render(self, template: str, channel: ChannelName, locale: str, context: Doc) -> Rendered:
        """Raises shared.kafka.PermanentError when the template is missing or broken."""
        ...


class ProjectionStore(Protocol):
    async def save_case(self, doc: Doc) -> bool:
        """Save a case's contact data; True when events of the case are parked waiting for it."""
        ...

    async def get_case(self, case_id: str) -> Doc | None: ...
    async def get_subject(self, subject_id: str) -> Doc | None: ...
    async def save_stage(self, stage_id: str, fields: Doc) -> None: ...
    async def get_stage(self, stage_id: str) -> Doc | None: ...
    async def park(self, case_id: str, envelope: Envelope, at: datetime) -> None: ...
    async def parked_events(self, case_id: str) -> list[Envelope]:
        """The events parked for the case, oldest first; they stay parked until dropped."""
        ...

    async def drop_parked(self, case_id: str, event_ids: list[str]) -> None:
        """Those events handled: no longer parked, and the case no longer flagged."""
        ...


class DirectoryStore(Protocol):
    async def officers(
        self,
        *,
        role: str | None = None,
        department: str | None = None,
        section: str | None = None,
        departments: list[str] | None = None,
    ) -> list[Officer]: ...
    async def all_officers(self, department: str | None = None) -> list[Officer]: ...
    async def get_officer(self, officer_id: str) -> Officer | None: ...
    # ``session``: the transaction an admin change is chained in (handlers/admin.py)
    async def upsert_officer(
        self, officer: Officer, *, source: str, session: Any = None
    ) -> None: ...
    async def delete_officer(self, officer_id: str, *, session: Any = None) -> bool: ...
    async def officer_ids(self, *, source: str) -> list[str]:
        """The officers written from ``source`` ("file" or "api")."""
        ...

    async def version(self) -> str | None: ...
    async def save_version(self, directory: Directory) -> None:
        """The directory file's sections and version (its officers are put one by one)."""
        ...


class DeliveryStore(Protocol):
    async def insert(self, docs: list[Doc]) -> list[str]:
        """Insert new deliveries; existing ids (same event, recipient, channel) are skipped.
        Returns the ids inserted."""
        ...

    async def record(self, docs: list[Doc], *, inbox: list[Doc], events: list[Envelope]) -> bool:
        """In one transaction: the deliveries (those among them already sent), the inbox items
        that sent them and their outcome events (to the outbox). False, writing nothing, when one
        of the deliveries is already recorded (the event handled again)."""
        ...

    async def claim(self, delivery_id: str, *, now: datetime, lease_until: datetime) -> Doc | None:
        """Take a pending, due, unleased delivery for one attempt, or None."""
        ...

    async def due(self, now: datetime, limit: int) -> list[str]: ...
    async def release(self, delivery_id: str, due_at: datetime) -> None: ...
    async def retry_later(
        self, delivery_id: str, *, attempts: int, due_at: datetime, error: str
    ) -> None: ...
    async def finish(
        self,
        delivery_id: str,
        *,
        status: str,
        attempts: int,
        at: datetime,
        error: str | None,
        event: Envelope,
    ) -> None:
        """Mark sent or failed and write the outcome event to the outbox, in one transaction."""
        ...

    async def sent_times(
        self, recipient_key: str, channel: str, since: datetime
    ) -> list[datetime]: ...
    async def get(self, delivery_id: str) -> Doc | None: ...


class InboxStore(Protocol):
    async def add(self, doc: Doc) -> None: ...
    async def list(self, owner: str, *, unread_only: bool, limit: int) -> list[Doc]: ...
    async def mark_read(self, item_id: str, owner: str, at: datetime) -> bool: ...


class SubscriptionStore(Protocol):
    """Webhook subscriptions: ``_id``, ``owner`` (an integrator's subject), ``url``, the scope
    (``event_types``, ``regions``, ``personal_data``), ``secrets`` and ``active``."""

    async def add(self, doc: Doc, *, session: Any = None) -> None: ...
    async def for_event_type(self, event_type: str) -> list[Doc]: ...
    async def get(self, subscription_id: str) -> Doc | None: ...
    async def owned_by(self, owner: str | None) -> list[Doc]:
        """The owner's subscriptions, active or not; every subscription when owner is None."""
        ...

    async def delete(self, subscription_id: str, *, session: Any = None) -> bool: ...
    async def add_secret(
        self, subscription_id: str, secret: Doc, *, session: Any = None
    ) -> bool: ...
    async def remove_secret(
        self, subscription_id: str, secret_id: str, *, session: Any = None
    ) -> bool: ...


class IntegratorStore(Protocol):
    """Registered webhook integrators: ``_id`` (the subject of their tokens), ``name``, the
    granted scope (``event_types``, ``regions``, ``personal_data``) and ``active``."""

    async def put(self, doc: Doc, *, session: Any = None) -> None: ...
    async def get(self, subject: str) -> Doc | None: ...
    async def all(self) -> list[Doc]: ...


class Resolver(Protocol):
    async def resolve(self, host: str, port: int) -> list[str]:
        """The host's IP addresses; raises OSError (or TimeoutError) when it does not resolve."""
        ...
