"""What the intake handlers need from the outside world (real adapters in store.py and
credit.py, in-memory fakes in the unit tests)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any, Protocol, Self

from services.intake.domain import CaseRecord, ItemStatus, ServiceItem
from services.intake.domain.agents import AgentGrant
from services.intake.domain.bundle_case import BundleApplication
from services.intake.domain.bundles import Bundle
from services.intake.domain.licences import Licence
from services.intake.domain.uploads import Upload
from shared.contracts import CreditChanged, Envelope
from shared.documents import DocumentRenderer as DocumentRenderer  # issues licence PDFs

# What the stores raise on a write that conflicts: defined once for every service, in shared/.


class Definition(Protocol):
    """What the catalog's versioned definitions (items, bundles) have in common."""

    @property
    def code(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def status(self) -> ItemStatus: ...
    def model_copy(
        self, *, update: Mapping[str, Any] | None = None, deep: bool = False
    ) -> Self: ...
    def model_dump(self, *, mode: str = "python") -> dict[str, Any]: ...


class CreditUnavailable(Exception):
    """The credit service did not answer usably (timeout, connection refused, 5xx, bad body)."""


class CreditStatus:
    def __init__(
        self,
        *,
        level: str | None,
        red_list: bool,
        black_list: bool,
        as_of: datetime | None = None,
    ) -> None:
        self.level = level
        self.red_list = red_list
        self.black_list = black_list
        self.as_of = as_of


class CreditPort(Protocol):
    async def status(self, subject_id: str) -> CreditStatus:
        """The subject's current credit level and list membership; raises CreditUnavailable."""
        ...


class IdempotencyRecord:
    def __init__(self, *, key: str, fingerprint: str, case_id: str, response: dict[str, Any]):
        self.key = key
        self.fingerprint = fingerprint
        self.case_id = case_id
        self.response = response


class IntakeStore(Protocol):
    """State and outgoing events are written together (one transaction with the outbox)."""

    # catalog
    async def get_item(self, code: str) -> ServiceItem | None: ...
    async def list_items(
        self, *, region: str | None, department: str | None, include_closed: bool
    ) -> list[ServiceItem]: ...
    async def insert_item(
        self, item: ServiceItem, *, session: Any = None, events: Sequence[Envelope] = ()
    ) -> None:
        """Raises DuplicateKey when the code exists. ``session``: the transaction that chains
        the change (shared/audit/admin.py); ``events`` are queued on the outbox with it."""
        ...

    async def replace_item(
        self,
        item: ServiceItem,
        *,
        expected_version: int,
        session: Any = None,
        events: Sequence[Envelope] = (),
    ) -> bool:
        """False (nothing written, no event queued) when the stored version is not
        ``expected_version``."""
        ...

    async def publish(self, events: Sequence[Envelope]) -> None:
        """Queue events on the outbox alone; an event id already queued is skipped."""
        ...

    # cases
    async def next_sequence(self, region: str, local_day: date) -> int: ...
    async def find_idempotency(self, key: str) -> IdempotencyRecord | None: ...
    async def find_external(self, source_system: str, external_id: str) -> str | None: ...
    async def create_case(
        self,
        case: CaseRecord,
        events: Sequence[Envelope],
        *,
        idempotency: IdempotencyRecord | None = None,
    ) -> None:
        """Insert the case, its idempotency record / external reference and its events at once;
        raises DuplicateKey when the idempotency key or external reference already exists."""
        ...

    async def get_case(self, case_id: str) -> CaseRecord | None: ...
    async def case_ids(self) -> list[str]:
        """Every case (`egov audit verify --all`)."""

    async def add_code_attempt(
        self, case_id: str, *, attempt_id: str, at: datetime, keep: int, forget_at: datetime
    ) -> list[datetime]:
        """Atomically record a verification-code attempt on a case number (which need not
        exist), keeping the latest ``keep``; returns the times of those recorded before it.
        The record may be forgotten after ``forget_at``."""
        ...

    async def drop_code_attempt(self, case_id: str, attempt_id: str) -> None:
        """Forget an attempt that turned out not to be a failure."""
        ...

    async def save_case(self, case: CaseRecord, events: Sequence[Envelope]) -> None:
        """Replace the case if its version is unchanged (bumping it); raises StaleVersion."""
        ...

    async def find_case_by_rectification(self, rectification_id: str) -> CaseRecord | None: ...
    async def decided_unrated(
        self, *, decided_before: datetime, limit: int
    ) -> list[CaseRecord]: ...
    async def rectifications_to_recompute(self, calendar_version: str) -> list[str]:
        """Case ids whose open rectification has a provisional due on another calendar."""
        ...

    # reference data
    async def get_licence(self, licence_ref: str) -> Licence | None: ...
    async def licences_of(self, holder: str) -> list[Licence]:
        """Every licence in the registry held by a resident ID number or credit code."""
        ...

    async def save_licence(self, licence: Licence) -> None:
        """Insert or replace by licence number (idempotent)."""
        ...

    async def licence_documents_owed(self, *, limit: int) -> list[tuple[str, datetime]]:
        """(case id, issued at) of cases whose licence PDF is not stored yet, oldest first."""
        ...

    async def remember_credit(self, change: CreditChanged) -> None: ...
    async def last_known_credit(self, subject_id: str) -> CreditChanged | None: ...

    # agents
    async def save_agent(self, grant: AgentGrant) -> None:
        """Insert or replace the grant of (subject, agent)."""
        ...

    async def get_agent(self, subject_id: str, agent_id: str) -> AgentGrant | None: ...
    async def list_agents(self, subject_id: str) -> list[AgentGrant]: ...


class BundleStore(Protocol):
    """Bundle definitions (the catalog's 一件事) and bundle applications
    (services/intake/bundles_store.py)."""

    async def get_bundle(self, code: str) -> Bundle | None: ...
    async def list_bundles(self, *, region: str | None, include_closed: bool) -> list[Bundle]:
        """Bundles of a region, or offered in it (``regions``)."""
        ...

    async def insert_bundle(self, bundle: Bundle, *, session: Any = None) -> None:
        """Raises DuplicateKey when the code exists."""
        ...

    async def replace_bundle(
        self, bundle: Bundle, *, expected_version: int, session: Any = None
    ) -> bool: ...

    async def create_application(
        self,
        app: BundleApplication,
        cases: Sequence[CaseRecord],
        events: Sequence[Envelope],
        *,
        idempotency: IdempotencyRecord | None = None,
        external: tuple[str, str] | None = None,
    ) -> None:
        """The application, its cases, its idempotency record (or its external reference,
        (source system, external id), of a bundle submitted on the bus) and its events in one
        transaction; raises DuplicateKey when the idempotency key or the reference exists."""
        ...

    async def get_application(self, bundle_id: str) -> BundleApplication | None: ...
    async def close_application(
        self, bundle_id: str, *, outcome: str, at: datetime, events: Sequence[Envelope]
    ) -> bool:
        """Record the outcome of a bundle not yet closed, with its events; False if it was."""
        ...

    async def update_application(
        self,
        app: BundleApplication,
        *,
        fields: Sequence[str],
        while_unset: str,
        events: Sequence[Envelope],
    ) -> bool:
        """Write ``app``'s ``fields`` (only those: what other writers set meanwhile, its
        closing, its invitation, is kept) with its events if the stored application's
        ``while_unset`` (a dotted path: ``rating``, ``rectification.closed_at``) is still unset;
        False if it is set."""
        ...

    async def update_clock(
        self, app: BundleApplication, *, expected_seq: int, events: Sequence[Envelope]
    ) -> bool:
        """Write ``app``'s clock (its stops, due, provisional mark, calendar and ``clock_seq``)
        with its events if the stored application is still open with clock ``expected_seq``;
        False otherwise (another writer moved it, or it closed)."""
        ...

    async def clocks_to_recompute(self, calendar_version: str) -> list[str]:
        """Bundle ids of open applications whose clock has a provisional due counted on another
        calendar version."""
        ...

    async def find_application_by_rectification(
        self, rectification_id: str
    ) -> BundleApplication | None: ...
    async def chained_application_ids(self) -> list[str]:
        """Bundle ids whose application has steps of its own on its audit chain."""
        ...

    async def rectifications_to_recompute(self, calendar_version: str) -> list[str]:
        """Bundle ids whose open rectification has a provisional due counted on another
        calendar version."""
        ...

    async def finished_uninvited(
        self, *, closed_before: datetime, limit: int
    ) -> list[BundleApplication]:
        """Closed bundles, unrated and not yet invited to rate, closed at or before
        ``closed_before``."""
        ...

    async def mark_invited(
        self, bundle_id: str, *, at: datetime, events: Sequence[Envelope]
    ) -> bool:
        """``invited_at`` set with its events if the bundle is still unrated and uninvited
        (a rating given meanwhile is kept); False otherwise."""
        ...


class UploadStore(Protocol):
    """Uploads by id (services/intake/uploads_store.py); an unreferenced one is forgotten a
    while after it expires (TTL index), a referenced one is kept with its case."""

    async def insert(self, upload: Upload) -> None: ...
    async def get(self, upload_id: str) -> Upload | None: ...
    async def settle(self, upload: Upload) -> bool:
        """Store a pending upload's verdict (verified or rejected); False if it was settled
        meanwhile."""
        ...

    async def claim(self, upload_id: str, *, owner_id: str, case_id: str, now: datetime) -> bool:
        """Mark a verified, unexpired, unclaimed upload of the owner as the case's; False if it
        is not (any more) one."""
        ...

    async def release(self, upload_id: str, *, case_id: str, expires_at: datetime) -> None:
        """Undo a claim of a case that was not registered after all."""
        ...

    async def expired(self, now: datetime, *, limit: int) -> list[Upload]:
        """Unreferenced uploads past their expiry, whose objects are still to be deleted."""
        ...

    async def forget(self, upload_id: str) -> None: ...
