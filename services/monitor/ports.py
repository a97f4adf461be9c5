"""What the monitor's handlers need from the outside world."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, Protocol

from shared.contracts import Envelope

CaseRecord = dict[str, Any]
"""Table value per case: its id, its partition, its stages (StageState documents with their
next firing) and what its decision said; services/monitor/store.py owns the format."""


class CaseStore(Protocol):
    """The changelog-backed table of open cases (keyed and co-partitioned by case id)."""

    def get(self, case_id: str) -> CaseRecord | None: ...

    def put(self, case_id: str, record: CaseRecord) -> None: ...

    def delete(self, case_id: str) -> None: ...

    def records(self) -> Iterator[CaseRecord]: ...


class StatsStore(Protocol):
    """Closed-stage and rating aggregates per (partition, department, item, region)."""

    def bump(
        self, partition: int, department: str, item: str, region: str, **inc: float
    ) -> None: ...

    def rows(self) -> Iterator[dict[str, Any]]: ...


class Publisher(Protocol):
    async def publish(self, envelopes: Sequence[Envelope]) -> None:
        """Returns once the broker acknowledged every envelope (acks=all)."""
        ...


class Scheduler(Protocol):
    def schedule(self, partition: int, case_id: str, stage_id: str, due: datetime | None) -> None:
        """Ask for a timer firing at ``due`` (None cancels)."""
        ...
