"""In-memory adapters for the credit handlers (same ports as the MongoDB store)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from services.credit.bootstrap import build_deps, create_api
from services.credit.domain import CreditRecord, RuleModel, Status, Subject, new_record
from services.credit.handlers import Deps
from services.credit.settings import CreditSettings
from shared.calendar import load_default_calendar
from shared.clock import FixedClock
from shared.contracts import Envelope, Severity, SubjectKind
from shared.errors import DuplicateKey, StaleVersion
from tests.support.tokens import bearer_of


class FakeStore:
    def __init__(self) -> None:
        self.subjects: dict[str, Subject] = {}
        self.records: dict[str, CreditRecord] = {}
        self.outbox: list[Envelope] = []
        self.saves = 0
        self.conflicts = 0

    async def subject(self, subject_id: str) -> Subject | None:
        await asyncio.sleep(0)  # let concurrent writers interleave, as a real database would
        return self.subjects.get(subject_id)

    async def records_of(self, subject_id: str) -> list[CreditRecord]:
        await asyncio.sleep(0)
        return [r for r in self.records.values() if r.subject_id == subject_id]

    async def record(self, record_id: str) -> CreditRecord | None:
        return self.records.get(record_id)

    async def record_by_objection(self, objection_id: str) -> CreditRecord | None:
        return next(
            (
                r
                for r in self.records.values()
                if any(o.objection_id == objection_id for o in r.objections)
            ),
            None,
        )

    async def save(
        self,
        subject: Subject,
        expected_version: int,
        *,
        new_records: list[CreditRecord],
        updated_records: list[CreditRecord],
        envelopes: list[Envelope],
    ) -> None:
        current = self.subjects.get(subject.subject_id)
        if (current.version if current else 0) != expected_version:
            self.conflicts += 1
            raise StaleVersion(f"subject {subject.subject_id}")
        for r in new_records:
            if any(x.origin_key == r.origin_key for x in self.records.values()):
                raise DuplicateKey(r.origin_key)
        self.subjects[subject.subject_id] = subject
        for r in [*new_records, *updated_records]:
            self.records[r.record_id] = r
        self.outbox.extend(envelopes)
        self.saves += 1

    async def department_records(self, start: datetime, end: datetime) -> list[CreditRecord]:
        return [
            r
            for r in self.records.values()
            if r.subject_kind == SubjectKind.DEPARTMENT and start <= r.occurred_at < end
        ]

    async def record_ids(self) -> list[str]:
        return sorted(self.records)

    async def subject_ids(self) -> list[str]:
        return [
            s.subject_id
            for s in self.subjects.values()
            if s.level != "A" or not s.red_list or s.black_list
        ]

    async def records_with_open_objection(self) -> list[CreditRecord]:
        return [r for r in self.records.values() if r.open_objection is not None]

    async def open_objections(self) -> int:
        return sum(1 for r in self.records.values() if r.status == Status.DISPUTED)

    def events(self, type_suffix: str) -> list[Envelope]:
        return [e for e in self.outbox if e.type.endswith(type_suffix)]


START = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 10:00 Shanghai
PERSON = "500103199005170126"
SETTINGS = CreditSettings(log_json=False)


def make_deps(clock: FixedClock | None = None, **overrides: Any) -> Deps:
    settings = SETTINGS.model_copy(update=overrides)
    return build_deps(
        settings,
        store=FakeStore(),
        clock=clock or FixedClock(START),
        calendar=load_default_calendar(),
    )


def make_app(deps: Deps) -> Any:
    return create_api(deps)


def bearer(sub: str, *roles: str, department: str | None = None) -> dict[str, str]:
    return bearer_of(SETTINGS, sub, *roles, department=department)


def person_record(n: int, status: Status, days_ago: int) -> CreditRecord:
    """Record ``CR-n`` of the person ``PERSON`` (a general false commitment on CASE-1), occurred
    ``days_ago`` days before START and now in ``status``."""
    occurred = START - timedelta(days=days_ago)
    return new_record(
        record_id=f"CR-{n}",
        origin_key=f"t|{n}",
        subject_id=PERSON,
        subject_kind=SubjectKind.PERSON,
        subject_name="张三",
        record_type="false_commitment",
        severity=Severity.GENERAL,
        source_system="t",
        evidence=["CASE-1"],
        description=f"{PERSON} signed a false commitment",
        case_id="CASE-1",
        region="500000",
        occurred_at=occurred,
        now=occurred,
        rules=RuleModel(),
    ).model_copy(update={"status": status})
