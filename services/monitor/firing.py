"""Timer firings applied a batch at a time: publish everything due, await every ack, then write.

The timer loop sends the stages due in one tick to egov.monitor.timers as one message per
partition (``FIRING_CHUNK`` firings at most), on the partition that owns their cases, so the
table writes made while the agent handles that message go to the right changelog partition
(faust sends a table change to the partition of the event being processed).

Each firing runs the ordinary ``on_timer`` against ``Staging``: the ports it writes to keep
everything back. The envelopes of the whole batch are then published concurrently and every
acknowledgement awaited, and only then are the table, the aggregates and the timer index
changed. A crash before the acks leaves the table as it was, so the replayed message publishes
the same derived ids again (consumers drop the copy); a crash after them finds the table written.
A firing that fails (bad calendar data, a poisoned record) is rolled back on its own and handed
to ``reject`` (the dead-letter topic); the others fire.
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from services.monitor import handlers as h
from services.monitor.ports import CaseRecord, StatsRow
from shared.contracts import Envelope

FIRING_CHUNK = 500  # firings per timer message: ~75 KB, far below the 1 MiB message limit
YIELD_EVERY = 100  # firings computed between two yields to the event loop


@dataclass(frozen=True)
class Firing:
    case_id: str
    stage_id: str
    due: float

    def to_json(self) -> dict[str, Any]:
        return {"case_id": self.case_id, "stage_id": self.stage_id, "due": self.due}


def encode_batches(
    due: Sequence[tuple[int, str, str, float]], chunk: int = FIRING_CHUNK
) -> Iterator[tuple[int, bytes, bytes]]:
    """(partition, key, value) of the timer messages for the entries popped in one tick."""
    by_partition: dict[int, list[Firing]] = {}
    for p, case_id, stage_id, ts in due:
        by_partition.setdefault(p, []).append(Firing(case_id, stage_id, ts))
    for p, firings in by_partition.items():
        for i in range(0, len(firings), chunk):
            part = firings[i : i + chunk]
            body = {"firings": [f.to_json() for f in part]}
            yield p, part[0].case_id.encode(), json.dumps(body, separators=(",", ":")).encode()


def decode_batch(value: bytes) -> list[Firing]:
    """The firings of a timer message; a single ``{"case_id","stage_id","due"}`` (the format
    before batches, and a dead-lettered firing sent back) is a batch of one."""
    body = json.loads(value)
    items = body["firings"] if "firings" in body else [body]
    return [Firing(str(f["case_id"]), str(f["stage_id"]), float(f.get("due", 0))) for f in items]


class WrongPartition(Exception):
    """A firing for a case kept on another partition: writing it here would put the change
    into the wrong changelog partition."""


class Staging:
    """Case store, aggregates, publisher and scheduler in one, holding every change back until
    ``commit``; ``mark``/``rollback`` undo one firing's changes."""

    def __init__(self, deps: h.Deps) -> None:
        self.base = deps
        self.held: dict[str, CaseRecord | None] = {}  # None: deleted
        # Decoded by ``peek`` and not handed out yet: the firing's handler gets this copy
        # instead of decoding the table value a second time.
        self.fresh: dict[str, CaseRecord | None] = {}
        self.envelopes: list[Envelope] = []
        self.schedules: list[tuple[int, str, str, datetime | None]] = []
        self.bumps: list[tuple[int, str, str, str, dict[str, float]]] = []
        self._undo: list[tuple[str, bool, CaseRecord | None]] = []
        self.deps = replace(deps, store=self, stats=self, publisher=self, scheduler=self)

    def mark(self) -> tuple[int, int, int, int]:
        return len(self.envelopes), len(self.schedules), len(self.bumps), len(self._undo)

    def rollback(self, mark: tuple[int, int, int, int]) -> None:
        envelopes, schedules, bumps, undo = mark
        del self.envelopes[envelopes:], self.schedules[schedules:], self.bumps[bumps:]
        while len(self._undo) > undo:
            case_id, held, previous = self._undo.pop()
            if held:
                self.held[case_id] = previous
            else:
                self.held.pop(case_id, None)

    def peek(self, case_id: str) -> CaseRecord | None:
        """The record as ``get`` would give it, kept for the next ``get`` of that case (the
        caller must not change it)."""
        if case_id in self.held:
            return self.held[case_id]
        if case_id not in self.fresh:
            self.fresh[case_id] = self.base.store.get(case_id)
        return self.fresh[case_id]

    # CaseStore
    def get(self, case_id: str) -> CaseRecord | None:
        if case_id not in self.held:
            if case_id in self.fresh:
                return self.fresh.pop(case_id)  # handed out once: nobody else holds it
            return self.base.store.get(case_id)
        rec = self.held[case_id]
        return None if rec is None else copy.deepcopy(rec)  # a firing may mutate it

    def put(self, case_id: str, record: CaseRecord) -> None:
        self.fresh.pop(case_id, None)
        self._undo.append((case_id, case_id in self.held, self.held.get(case_id)))
        self.held[case_id] = record

    def delete(self, case_id: str) -> None:
        self.fresh.pop(case_id, None)
        self._undo.append((case_id, case_id in self.held, self.held.get(case_id)))
        self.held[case_id] = None

    def records(self) -> Iterator[CaseRecord]:
        for rec in self.base.store.records():
            if rec.case_id not in self.held:
                yield rec
        yield from (rec for rec in self.held.values() if rec is not None)

    # StatsStore
    def bump(self, partition: int, department: str, item: str, region: str, **inc: float) -> None:
        self.bumps.append((partition, department, item, region, inc))

    def rows(self) -> Iterator[StatsRow]:
        return self.base.stats.rows()  # what is committed: a firing only adds to it

    # Publisher
    async def publish(self, envelopes: Sequence[Envelope]) -> None:
        self.envelopes.extend(envelopes)

    # Scheduler
    def schedule(self, partition: int, case_id: str, stage_id: str, due: datetime | None) -> None:
        self.schedules.append((partition, case_id, stage_id, due))

    def commit(self) -> None:
        """The table first, then the timer index (a stage is rescheduled only once stored)."""
        for case_id, rec in self.held.items():
            if rec is None:
                self.base.store.delete(case_id)
            else:
                self.base.store.put(case_id, rec)
        for partition, department, item, region, inc in self.bumps:
            self.base.stats.bump(partition, department, item, region, **inc)
        for schedule in self.schedules:
            self.base.scheduler.schedule(*schedule)


Reject = Callable[[Firing, Exception], Awaitable[None]]


async def on_timers(deps: h.Deps, firings: Sequence[Firing], reject: Reject) -> None:
    msg = deps.msg
    staging = Staging(deps)
    rejected: list[tuple[Firing, Exception]] = []
    for n, firing in enumerate(firings, 1):
        mark = staging.mark()
        try:
            rec = staging.peek(firing.case_id)
            kept_on = None if rec is None else rec.partition
            if rec is not None and kept_on != msg.partition:
                raise WrongPartition(f"case kept on partition {kept_on}, not {msg.partition}")
            await h.on_timer(staging.deps, firing.case_id, firing.stage_id)
        except Exception as exc:  # noqa: BLE001 - one bad record must not stop the others
            staging.rollback(mark)
            rejected.append((firing, exc))
        if n % YIELD_EVERY == 0:
            await asyncio.sleep(0)
    if staging.envelopes:
        await deps.publisher.publish(staging.envelopes)  # sends all, then awaits every ack
    for bad, error in rejected:
        await reject(bad, error)
    staging.commit()
