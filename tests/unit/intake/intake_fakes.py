"""In-memory fakes of intake's ports, wired through the real bootstrap.build_deps."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx

from services.intake.bootstrap import build_deps, create_api, read_licences
from services.intake.domain import CaseRecord, ServiceItem
from services.intake.domain.agents import AgentGrant
from services.intake.domain.bundles import Bundle
from services.intake.domain.licences import Licence
from services.intake.handlers import Deps
from services.intake.handlers.bundle_catalog import BUNDLES
from services.intake.handlers.catalog import ITEMS
from services.intake.ports import (
    CreditStatus,
    CreditUnavailable,
    DocumentRenderer,
    IdempotencyRecord,
)
from services.intake.settings import IntakeSettings
from shared.clock import FixedClock
from shared.contracts import AuditCheckpoint, CreditChanged, Envelope
from shared.errors import DuplicateKey, StaleVersion
from tests.support.admin_log import MemoryAdminLog
from tests.support.fake_documents import FakeRenderer
from tests.support.fake_objects import FakeObjectStore
from tests.support.tokens import SignedInApplicant
from tests.unit.intake.bundle_fakes import FakeBundles
from tests.unit.intake.upload_fakes import FakeUploads

T0 = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)  # Monday 09:30 in Shanghai


class FakeStore:
    def __init__(self) -> None:
        self.items: dict[str, ServiceItem] = {}
        self.cases: dict[str, CaseRecord] = {}
        self.counters: dict[str, int] = {}
        self.idempotency: dict[str, IdempotencyRecord] = {}
        self.external: dict[tuple[str, str], str] = {}
        self.licences: dict[str, Licence] = {}
        self.credit: dict[str, CreditChanged] = {}
        self.events: list[Envelope] = []  # the outbox, audit checkpoints apart:
        self.checkpoints: list[Envelope] = []
        self.code_attempts: dict[str, list[tuple[str, datetime]]] = {}
        self.agents: dict[tuple[str, str], AgentGrant] = {}

    def _outbox(self, events: Sequence[Envelope]) -> None:
        for e in events:
            (self.checkpoints if e.type == AuditCheckpoint.event_type else self.events).append(e)

    async def get_item(self, code: str) -> ServiceItem | None:
        return self.items.get(code)

    async def list_items(
        self, *, region: str | None, department: str | None, include_closed: bool
    ) -> list[ServiceItem]:
        return [
            i
            for c, i in sorted(self.items.items())
            if (region is None or i.region == region)
            and (department is None or i.department == department)
            and (include_closed or i.status == "open")
        ]

    async def insert_item(
        self, item: ServiceItem, *, session: Any = None, events: Sequence[Envelope] = ()
    ) -> None:
        if item.code in self.items:
            raise DuplicateKey(item.code)
        self.items[item.code] = item
        self._outbox(events)

    async def replace_item(
        self,
        item: ServiceItem,
        *,
        expected_version: int,
        session: Any = None,
        events: Sequence[Envelope] = (),
    ) -> bool:
        current = self.items.get(item.code)
        if current is None or current.version != expected_version:
            return False
        self.items[item.code] = item
        self._outbox(events)
        return True

    async def publish(self, events: Sequence[Envelope]) -> None:
        queued = {e.id for e in self.events}  # the outbox's unique event id
        self._outbox([e for e in events if e.id not in queued])

    async def next_sequence(self, region: str, local_day: date) -> int:
        key = f"{region}-{local_day:%Y%m%d}"
        self.counters[key] = self.counters.get(key, 0) + 1
        return self.counters[key]

    async def find_idempotency(self, key: str) -> IdempotencyRecord | None:
        return self.idempotency.get(key)

    async def find_external(self, source_system: str, external_id: str) -> str | None:
        return self.external.get((source_system, external_id))

    async def create_case(
        self,
        case: CaseRecord,
        events: Sequence[Envelope],
        *,
        idempotency: IdempotencyRecord | None = None,
    ) -> None:
        if idempotency is not None and idempotency.key in self.idempotency:
            raise DuplicateKey(idempotency.key)
        ext = (case.source_system or "", case.external_id or "")
        if case.source_system and ext in self.external:
            raise DuplicateKey(str(ext))
        if idempotency is not None:
            self.idempotency[idempotency.key] = idempotency
        if case.source_system:
            self.external[ext] = case.case_id
        self.cases[case.case_id] = case
        self._outbox(events)

    async def get_case(self, case_id: str) -> CaseRecord | None:
        return self.cases.get(case_id)

    async def case_ids(self) -> list[str]:
        return sorted(self.cases)

    async def add_code_attempt(
        self, case_id: str, *, attempt_id: str, at: datetime, keep: int, forget_at: datetime
    ) -> list[datetime]:
        attempts = self.code_attempts.setdefault(case_id, [])
        attempts.append((attempt_id, at))
        del attempts[:-keep]
        return [t for a, t in attempts if a != attempt_id]

    async def drop_code_attempt(self, case_id: str, attempt_id: str) -> None:
        attempts = self.code_attempts.get(case_id, [])
        attempts[:] = [(a, t) for a, t in attempts if a != attempt_id]

    async def save_case(self, case: CaseRecord, events: Sequence[Envelope]) -> None:
        current = self.cases.get(case.case_id)
        if current is None or current.version != case.version:
            raise StaleVersion(f"case {case.case_id}")
        self.cases[case.case_id] = case.model_copy(update={"version": case.version + 1})
        self._outbox(events)

    async def find_case_by_rectification(self, rectification_id: str) -> CaseRecord | None:
        return next(
            (
                c
                for c in self.cases.values()
                if c.rectification and c.rectification.rectification_id == rectification_id
            ),
            None,
        )

    async def rectifications_to_recompute(self, calendar_version: str) -> list[str]:
        return [
            c.case_id
            for c in self.cases.values()
            if c.rectification is not None
            and c.rectification.closed_at is None
            and c.rectification.due_provisional
            and c.rectification.due_calendar != calendar_version
        ]

    async def decided_unrated(self, *, decided_before: datetime, limit: int) -> list[CaseRecord]:
        return [
            c
            for c in self.cases.values()
            if c.status == "decided"
            and c.rating is None
            and c.invited_at is None
            and c.bundle_id is None
            and c.decided_at
            and c.decided_at <= decided_before
        ][:limit]

    async def get_licence(self, licence_ref: str) -> Licence | None:
        return self.licences.get(licence_ref)

    async def licences_of(self, holder: str) -> list[Licence]:
        return [lic for lic in self.licences.values() if lic.holder == holder]

    async def save_licence(self, licence: Licence) -> None:
        self.licences[licence.ref] = licence

    async def licence_documents_owed(self, *, limit: int) -> list[tuple[str, datetime]]:
        owed = [
            (c.case_id, c.licence_document_owed_since)
            for c in self.cases.values()
            if c.licence_document_owed_since is not None
        ]
        return sorted(owed, key=lambda o: o[1])[:limit]

    async def remember_credit(self, change: CreditChanged) -> None:
        self.credit[change.subject_id] = change

    async def last_known_credit(self, subject_id: str) -> CreditChanged | None:
        return self.credit.get(subject_id)

    async def save_agent(self, grant: AgentGrant) -> None:
        self.agents[(grant.subject_id, grant.agent_id)] = grant

    async def get_agent(self, subject_id: str, agent_id: str) -> AgentGrant | None:
        return self.agents.get((subject_id, agent_id))

    async def list_agents(self, subject_id: str) -> list[AgentGrant]:
        return [g for (s, _), g in sorted(self.agents.items()) if s == subject_id]

    def events_of(self, event_type: str) -> list[Envelope]:
        return [e for e in self.events if e.type == event_type]


class FakeCredit:
    def __init__(self) -> None:
        self.answers: dict[str, CreditStatus] = {}
        self.down = False
        self.calls: list[str] = []

    async def status(self, subject_id: str) -> CreditStatus:
        self.calls.append(subject_id)
        if self.down:
            raise CreditUnavailable("no answer within 0.8s: ConnectTimeout")
        return self.answers.get(
            subject_id, CreditStatus(level="A", red_list=False, black_list=False)
        )


def parsed_catalog(
    catalog_dir: str,
) -> tuple[tuple[ServiceItem, ...], tuple[Bundle, ...], tuple[Licence, ...]]:
    """The catalog's items, bundles and e-licences as the service reads them at start-up, parsed
    once per version of its files (the YAML took about 0.18 s, in every test that wires intake);
    the definitions are frozen, so the tests share them."""
    files = sorted(Path(catalog_dir).glob("*.yaml"))
    return _parsed(
        catalog_dir, tuple((f.name, f.stat().st_mtime_ns, f.stat().st_size) for f in files)
    )


@functools.cache
def _parsed(
    catalog_dir: str, _files: tuple[tuple[str, int, int], ...]
) -> tuple[tuple[ServiceItem, ...], tuple[Bundle, ...], tuple[Licence, ...]]:
    return (
        tuple(ITEMS.read_dir(catalog_dir)),
        tuple(BUNDLES.read_dir(catalog_dir)),
        tuple(read_licences(catalog_dir)),
    )


class Wiring:
    def __init__(self, *, render: DocumentRenderer | None = None, **settings: Any) -> None:
        self.settings = IntakeSettings(**settings)
        self.store = FakeStore()
        self.bundles = FakeBundles(self.store)
        self.changes = MemoryAdminLog()
        self.credit = FakeCredit()
        self.clock = FixedClock(T0)
        self.uploads = FakeUploads()
        self.objects = FakeObjectStore()
        self.render = render or FakeRenderer()  # render_document to look inside the PDF
        self.woken = 0
        self.deps: Deps = build_deps(
            self.settings,
            store=self.store,
            bundles=self.bundles,
            changes=self.changes,
            credit=self.credit,
            clock=self.clock,
            uploads=self.uploads,
            objects=self.objects,
            render=self.render,
        )
        self.deps.wake = self._wake
        items, bundles, licences = parsed_catalog(self.settings.catalog_dir)
        for item in items:
            self.store.items[item.code] = item
        for bundle in bundles:
            self.bundles.bundles[bundle.code] = bundle
        for licence in licences:
            self.store.licences[licence.ref] = licence

    def _wake(self) -> None:
        self.woken += 1

    def app(self) -> Any:
        return create_api(self.deps)

    def client(self, *, signed_in: bool = True) -> httpx.AsyncClient:
        """The API in-process; ``signed_in``: submissions carry their applicant's real-name
        token (tests/support/tokens.py)."""
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(self.app()),
            base_url="http://t",
            auth=SignedInApplicant(self.settings) if signed_in else None,
        )
