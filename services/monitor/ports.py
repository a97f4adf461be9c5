"""What the monitor's handlers need from the outside world."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from services.monitor.domain import StageState
from shared.contracts import Envelope

StageDoc = dict[str, Any]
"""A stage as ``StageState`` dumps it to JSON (defaults left out). The board reads these fields
without building the model: a scan of a million stages must stay cheap."""


@dataclass(frozen=True)
class EarlyClosing:
    """A closing that arrived before its stage's opening, applied when the opening arrives."""

    closed_at: datetime
    outcome: str
    reason: str | None


@dataclass
class CaseRecord:
    """What the monitor keeps per open case: the partition of egov.stages it is kept on, its
    stages and their next firings, what its decision said, and closings that overtook their
    openings. How it is stored (compact JSON bytes in a faust table) is store.py's business."""

    case_id: str
    partition: int
    stages: dict[str, StageDoc] = field(default_factory=dict)
    timers: dict[str, float] = field(default_factory=dict)  # stage id -> next firing (epoch s)
    decided: bool = False
    follow: list[str] = field(default_factory=list)  # stage kinds the decision says will come
    early: dict[str, EarlyClosing] = field(default_factory=dict)

    def stage(self, stage_id: str) -> StageState | None:
        doc = self.stages.get(stage_id)
        return None if doc is None else StageState.model_validate(doc)

    def states(self) -> list[StageState]:
        return [StageState.model_validate(doc) for doc in self.stages.values()]

    def put_stage(self, stage: StageState, due: datetime | None) -> None:
        """Keep ``stage`` with its next firing (None: nothing to fire)."""
        self.stages[stage.stage_id] = stage.model_dump(mode="json", exclude_defaults=True)
        if due is None:
            self.timers.pop(stage.stage_id, None)
        else:
            self.timers[stage.stage_id] = due.timestamp()


@dataclass(frozen=True)
class StatsRow:
    """The closed-stage and rating aggregates of one (partition, department, item, region)."""

    partition: int
    department: str
    item_code: str
    region: str
    counts: dict[str, float] = field(default_factory=dict)

    def view(self) -> dict[str, Any]:
        """The row as the board's parts carry it (no partition: a part is one partition)."""
        keys = {"department": self.department, "item_code": self.item_code, "region": self.region}
        return {**keys, **self.counts}


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

    def rows(self) -> Iterator[StatsRow]: ...


class Publisher(Protocol):
    async def publish(self, envelopes: Sequence[Envelope]) -> None:
        """Returns once the broker acknowledged every envelope (acks=all)."""
        ...


class Scheduler(Protocol):
    def schedule(self, partition: int, case_id: str, stage_id: str, due: datetime | None) -> None:
        """Ask for a timer firing at ``due`` (None cancels)."""
        ...
