"""In-memory fake of intake's bundle store (services/intake/bundles_store.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from services.intake.domain import CaseRecord
from services.intake.domain.bundle_case import BundleApplication
from services.intake.domain.bundle_clock import CLOCK_FIELDS
from services.intake.domain.bundles import Bundle
from services.intake.ports import IdempotencyRecord
from shared.contracts import Envelope
from shared.errors import DuplicateKey

if TYPE_CHECKING:
    from tests.unit.intake.intake_fakes import FakeStore


class FakeBundles:
    def __init__(self, store: FakeStore) -> None:
        self.store = store
        self.bundles: dict[str, Bundle] = {}
        self.applications: dict[str, BundleApplication] = {}

    async def get_bundle(self, code: str) -> Bundle | None:
        return self.bundles.get(code)

    async def list_bundles(self, *, region: str | None, include_closed: bool) -> list[Bundle]:
        return [
            b
            for _, b in sorted(self.bundles.items())
            if (region is None or region in b.offered_regions)
            and (include_closed or b.status == "open")
        ]

    async def insert_bundle(self, bundle: Bundle, *, session: Any = None) -> None:
        if bundle.code in self.bundles:
            raise DuplicateKey(bundle.code)
        self.bundles[bundle.code] = bundle

    async def replace_bundle(
        self, bundle: Bundle, *, expected_version: int, session: Any = None
    ) -> bool:
        current = self.bundles.get(bundle.code)
        if current is None or current.version != expected_version:
            return False
        self.bundles[bundle.code] = bundle
        return True

    async def create_application(
        self,
        app: BundleApplication,
        cases: Sequence[CaseRecord],
        events: Sequence[Envelope],
        *,
        idempotency: IdempotencyRecord | None = None,
        external: tuple[str, str] | None = None,
    ) -> None:
        if external is not None:
            if external in self.store.external:
                raise DuplicateKey("|".join(external))
            self.store.external[external] = app.bundle_id
        if idempotency is not None:
            if idempotency.key in self.store.idempotency:
                raise DuplicateKey(idempotency.key)
            self.store.idempotency[idempotency.key] = idempotency
        self.applications[app.bundle_id] = app
        for case in cases:
            self.store.cases[case.case_id] = case
        self.store._outbox(events)

    async def get_application(self, bundle_id: str) -> BundleApplication | None:
        return self.applications.get(bundle_id)

    async def close_application(
        self, bundle_id: str, *, outcome: str, at: datetime, events: Sequence[Envelope]
    ) -> bool:
        app = self.applications.get(bundle_id)
        if app is None or app.closed_at is not None:
            return False
        self.applications[bundle_id] = app.model_copy(update={"closed_at": at, "outcome": outcome})
        self.store._outbox(events)
        return True

    async def update_application(
        self,
        app: BundleApplication,
        *,
        fields: Sequence[str],
        while_unset: str,
        events: Sequence[Envelope],
    ) -> bool:
        current = self.applications.get(app.bundle_id)
        stored: Any = current
        for name in while_unset.split("."):
            stored = getattr(stored, name, None) if stored is not None else None
        if current is None or stored is not None:
            return False
        written = {f: getattr(app, f) for f in fields}
        self.applications[app.bundle_id] = current.model_copy(update=written)
        self.store._outbox(events)
        return True

    async def update_clock(
        self, app: BundleApplication, *, expected_seq: int, events: Sequence[Envelope]
    ) -> bool:
        current = self.applications.get(app.bundle_id)
        if current is None or current.closed_at is not None or current.clock_seq != expected_seq:
            return False
        written = {f: getattr(app, f) for f in CLOCK_FIELDS}
        self.applications[app.bundle_id] = current.model_copy(update=written)
        self.store._outbox(events)
        return True

    async def clocks_to_recompute(self, calendar_version: str) -> list[str]:
        return [
            a.bundle_id
            for a in self.applications.values()
            if a.closed_at is None and a.due_provisional and a.due_calendar != calendar_version
        ]

    async def find_application_by_rectification(
        self, rectification_id: str
    ) -> BundleApplication | None:
        return next(
            (
                a
                for a in self.applications.values()
                if a.rectification is not None
                and a.rectification.rectification_id == rectification_id
            ),
            None,
        )

    async def finished_uninvited(
        self, *, closed_before: datetime, limit: int
    ) -> list[BundleApplication]:
        found = [
            a
            for a in self.applications.values()
            if a.invited_at is None
            and a.rating is None
            and a.closed_at is not None
            and a.closed_at <= closed_before
        ]
        return found[:limit]

    async def mark_invited(
        self, bundle_id: str, *, at: datetime, events: Sequence[Envelope]
    ) -> bool:
        app = self.applications.get(bundle_id)
        if app is None or app.invited_at is not None or app.rating is not None:
            return False
        self.applications[bundle_id] = app.model_copy(update={"invited_at": at})
        self.store._outbox(events)
        return True

    async def rectifications_to_recompute(self, calendar_version: str) -> list[str]:
        return [
            a.bundle_id
            for a in self.applications.values()
            if a.rectification is not None
            and a.rectification.closed_at is None
            and a.rectification.due_provisional
            and a.rectification.due_calendar != calendar_version
        ]

    async def chained_application_ids(self) -> list[str]:
        return sorted(a.bundle_id for a in self.applications.values() if a.audit_seq > 0)
