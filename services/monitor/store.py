"""The monitor's faust tables as typed stores (the handlers' CaseStore and StatsStore), and the
table format: only this module knows the keys a record keeps its partition and timers under."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from services.monitor.domain import StageState
from services.monitor.ports import CaseRecord

PARTITION = "p"  # the partition of egov.stages a case (or an aggregate row) is kept on
TIMER = "t"  # a stage's next firing (epoch s): a rebuild indexes timers without parsing stages


def new_record(case_id: str, partition: int) -> CaseRecord:
    return {PARTITION: partition, "case_id": case_id, "stages": {}}


def partition_of(record: Mapping[str, Any]) -> int | None:
    """The partition a case record or an aggregate row is kept on (None: an old row)."""
    value = record.get(PARTITION)
    return None if value is None else int(value)


def case_partition(record: Mapping[str, Any]) -> int:
    """The partition a case record is kept on (every record has one)."""
    return int(record[PARTITION])


def stage_document(stage: StageState, due: datetime | None) -> dict[str, Any]:
    """A stage as its record keeps it, with its next firing."""
    raw = stage.model_dump(mode="json", exclude_defaults=True)
    if due is not None:
        raw[TIMER] = due.timestamp()
    return raw


def timers_of(record: Mapping[str, Any]) -> Iterator[tuple[str, float]]:
    """(stage id, next firing) of every stage of a record that waits for one."""
    for stage_id, raw in record["stages"].items():
        due = raw.get(TIMER)
        if due is not None:
            yield stage_id, due


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
        return value if isinstance(value, dict) else None

    def get(self, case_id: str) -> CaseRecord | None:
        return self._decode(self.table.get(case_id))

    def put(self, case_id: str, record: CaseRecord) -> None:
        self.table[case_id] = json.dumps(record, separators=(",", ":")).encode()

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

    def rows(self) -> Iterator[dict[str, Any]]:
        for key, value in list(self.table.items()):
            if isinstance(value, dict):
                # rows kept before the partition was: the key names it
                yield {PARTITION: int(str(key).split("|", 1)[0]), **value}
