"""The monitor's faust tables as typed stores (the handlers' CaseStore and StatsStore)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from services.monitor.ports import CaseRecord


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
        row.update(p=partition, department=department, item_code=item, region=region)
        for name, value in inc.items():
            row[name] = row.get(name, 0) + value
        self.table[key] = row

    def rows(self) -> Iterator[dict[str, Any]]:
        for key, value in list(self.table.items()):
            if isinstance(value, dict):
                yield {"p": int(str(key).split("|", 1)[0]), **value}  # rows kept before "p"
