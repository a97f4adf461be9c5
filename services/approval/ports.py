"""What the approval handlers need from the outside world."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict

from services.approval.domain import Case
from shared.contracts import Envelope
from shared.documents import DocumentRenderer as DocumentRenderer  # issues decision notices


class TaskQuery(BaseModel):
    model_config = ConfigDict(frozen=True)

    department: str | None = None
    region: str | None = None
    assignee: str | None = None
    stage: str | None = None
    status: str = "active"  # active (open or suspended), open, suspended, closed
    limit: int = 50
    offset: int = 0


class CaseStore(Protocol):
    async def get(self, case_id: str) -> Case | None: ...

    async def create(
        self, case: Case, entries: list[dict[str, Any]], envelopes: list[Envelope]
    ) -> bool:
        """Insert a new case with its first timeline entries and events; False if it exists."""
        ...

    async def update(
        self,
        case: Case,
        expected_version: int,
        entries: list[dict[str, Any]],
        envelopes: list[Envelope],
    ) -> None:
        """Replace the case if it is still at ``expected_version`` and its timeline still ends
        where ``entries`` continue it (else raise StaleVersion)."""
        ...

    async def tasks(self, query: TaskQuery) -> tuple[list[dict[str, Any]], int]: ...

    async def timeline(self, case_id: str) -> list[dict[str, Any]]: ...

    async def case_ids(self) -> list[str]:
        """Every case with a record or timeline entries (`egov audit verify --all`)."""
        ...

    async def open_stage_counts(self) -> dict[str, int]: ...

    async def supplement_waits_past(self, now: datetime) -> list[str]:
        """Cases whose supplement wait passed its maximum."""
        ...

    async def owed_deadlines_past(self, now: datetime) -> list[str]:
        """Cases whose owed-material (容缺) stage is still open past its deadline."""
        ...

    async def cases_to_seal(self) -> list[str]:
        """Finished cases whose dossier is not sealed yet (docs/archive.md)."""
        ...

    async def archives_expired(self, now: datetime) -> list[str]:
        """Sealed dossiers past their retention, not on legal hold, not deleted yet."""
        ...

    async def cases_to_recompute(self, calendar_version: str) -> list[str]:
        """Cases with an open provisional deadline computed on another calendar version."""
        ...


class Clock(Protocol):
    def now(self) -> datetime: ...
