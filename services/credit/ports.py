"""What the credit handlers need from the outside world."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from services.credit.domain import CreditRecord, Subject
from shared.contracts import Envelope

# What the store raises on a write that conflicts: defined once for every service, in shared/.
from shared.errors import DuplicateKey as DuplicateKey
from shared.errors import StaleVersion as StaleVersion


class CreditStore(Protocol):
    async def subject(self, subject_id: str) -> Subject | None: ...

    async def records_of(self, subject_id: str) -> list[CreditRecord]: ...

    async def record(self, record_id: str) -> CreditRecord | None: ...

    async def record_by_objection(self, objection_id: str) -> CreditRecord | None: ...

    async def save(
        self,
        subject: Subject,
        expected_version: int,
        *,
        new_records: list[CreditRecord],
        updated_records: list[CreditRecord],
        envelopes: list[Envelope],
    ) -> None:
        """Write the subject (if still at ``expected_version``, else StaleVersion), its new and
        changed records and the outgoing events in one transaction. A new record whose origin
        exists raises DuplicateKey."""
        ...

    async def department_records(self, start: datetime, end: datetime) -> list[CreditRecord]:
        """Records on departments that occurred in [start, end)."""
        ...

    async def subject_ids(self) -> list[str]:
        """Subjects whose standing time alone may still change (not already A and red-listed)."""
        ...

    async def record_ids(self) -> list[str]:
        """Every record (`egov audit verify --all`)."""
        ...

    async def records_with_open_objection(self) -> list[CreditRecord]: ...

    async def open_objections(self) -> int: ...


class Clock(Protocol):
    def now(self) -> datetime: ...
