"""The monitor's faust tables as typed stores (the handlers' CaseStore and StatsStore), and the
table format: only this module knows how a ``CaseRecord`` is laid out as a table value (its
partition under ``"p"``, each stage's next firing inside the stage under ``"t"``)."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from services.monitor.ports import CaseRecord, EarlyClosing, StatsRow

PARTITION = "p"  # the partition of egov.stages a case (or an aggregate row) is kept on
ROW_KEYS = frozenset({PARTITION, "department", "item_code", "region"})  # a stats row's key
TIMER = "t"  # a stage's next firing (epoch s), kept inside the stage's document


def to_document(record: CaseRecord) -> dict[str, Any]:
    """A record in the table's format (the same bytes an older worker wrote for it)."""
    timers = record.timers
    doc: dict[str, Any] = {
        PARTITION: record.partition,
        "case_id": record.case_id,
        "stages": {
            stage_id: {**raw, TIMER: timers[stage_id]} if stage_id in timers else raw
            for stage_id, raw in record.stages.items()
        },
    }
    if record.decided:
        doc["decided"] = True
    if record.decided or record.follow:
        doc["follow"] = record.follow
    if record.early:
        doc["early"] = {
            stage_id: {
                "closed_at": c.closed_at.isoformat(),
                "outcome": c.outcome,
                "reason": c.reason,
            }
            for stage_id, c in record.early.items()
        }
    return doc


def from_document(doc: Any) -> CaseRecord | None:
    """The record a table value holds (None: not a case record). Its stage documents are
    taken over as they are, less their timers: ``doc`` is freshly decoded and nobody's else."""
    if not isinstance(doc, dict) or PARTITION not in doc:
        return None
    stages: dict[str, dict[str, Any]] = doc.get("stages") or {}
    timers = {}
    for stage_id, raw in stages.items():
        due = raw.pop(TIMER, None)
        if due is not None:
            timers[stage_id] = float(due)
    early = {
        stage_id: EarlyClosing(
            datetime.fromisoformat(c["closed_at"]), c["outcome"], c.get("reason")
        )
        for stage_id, c in (doc.get("early") or {}).items()
    }
    return CaseRecord(
        case_id=str(doc["case_id"]),
        partition=int(doc[PARTITION]),
        stages=stages,
        timers=timers,
        decided=bool(doc.get("decided")),
        follow=list(doc.get("follow") or []),
        early=early,
    )


class TableCaseStore:
    """The open cases, each kept as its compact JSON (bytes) rather than as Python dicts.

    A case record with one stage costs ~550 B as JSON bytes against ~2.4 KB as nested dicts
    (measured with tracemalloc; see docs/benchmarks.md), and the changelog carries the same
    bytes. Decoding one record per event costs a few microseconds. A changelog written by an
    older worker (JSON-serialised dicts) holds the same bytes, so it recovers unchanged.
    """

    def __init__(self, table: Any, *, lazy: bool = False) -> None:
        self.table = table
        # RocksDB iterators read a consistent snapshot, so a scan that yields to the event loop
        # may walk the table lazily; a dict (the memory store) must be copied first.
        self.lazy = lazy

    @staticmethod
    def _decode(value: Any) -> CaseRecord | None:
        if isinstance(value, bytes | str):
            value = json.loads(value)
        elif isinstance(value, dict):
            value = copy.deepcopy(value)  # a dict kept by an older worker: never hand it out
        return from_document(value)

    def get(self, case_id: str) -> CaseRecord | None:
        return self._decode(self.table.get(case_id))

    def put(self, case_id: str, record: CaseRecord) -> None:
        self.table[case_id] = json.dumps(to_document(record), separators=(",", ":")).encode()

    def delete(self, case_id: str) -> None:
        if case_id in self.table:
            del self.table[case_id]

    def records(self) -> Iterator[CaseRecord]:
        values = self.table.values()
        for value in values if self.lazy else list(values):
            record = self._decode(value)
            if record is not None:
                yield record


class TableStats:
    def __init__(self, table: Any) -> None:
        self.table = table

    def bump(self, partition: int, department: str, item: str, region: str, **inc: float) -> None:
        key = f"{partition}|{department}|{item}|{region}"
        row = dict(self.table.get(key) or {})
        row.update({PARTITION: partition}, department=department, item_code=item, region=region)
        for name, value in inc.items():
            row[name] = row.get(name, 0) + value
        self.table[key] = row

    def rows(self) -> Iterator[StatsRow]:
        for key, value in list(self.table.items()):
            if isinstance(value, dict):
                # rows kept before the partition was: the key names it
                partition = value.get(PARTITION, str(key).split("|", 1)[0])
                yield StatsRow(
                    partition=int(partition),
                    department=str(value.get("department", "")),
                    item_code=str(value.get("item_code", "")),
                    region=str(value.get("region", "")),
                    counts={k: v for k, v in value.items() if k not in ROW_KEYS},
                )
