"""The ports every monitor handler receives (built by bootstrap), and where and when the message
being handled arrived."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime

from services.monitor import domain as d
from services.monitor.ports import CaseStore, Publisher, Scheduler, StatsStore

SOURCE = "/egov/monitor"


async def _no_wait(version: str) -> None:
    return None


@dataclass(frozen=True)
class Incoming:
    """Where and when a message arrived: its partition, the processing instant, its arrival."""

    partition: int
    now: datetime
    arrived_at: datetime


@dataclass
class Deps:
    store: CaseStore
    stats: StatsStore
    publisher: Publisher
    scheduler: Scheduler
    calendar: d.Calendar
    warning: d.WarningPolicy
    ladders: d.LadderPolicy
    findings: d.FindingPolicy
    # Waits (briefly) until this process runs the calendar version an event was computed on.
    calendar_in_step: Callable[[str], Awaitable[None]] = _no_wait
    incoming: Incoming | None = None  # the message being handled: see ``arrived``

    def arrived(self, incoming: Incoming) -> Deps:
        """These ports for one message: where and when it arrived (a handler reads ``msg``)."""
        return replace(self, incoming=incoming)

    @property
    def msg(self) -> Incoming:
        if self.incoming is None:
            raise RuntimeError("no message: call the handler with deps.arrived(incoming)")
        return self.incoming
