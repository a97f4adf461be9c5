"""The cases table keeps each record as compact JSON bytes and still reads older dict values."""

from __future__ import annotations

import json
from typing import Any

from services.monitor.store import TableCaseStore

RECORD: dict[str, Any] = {
    "p": 3,
    "case_id": "C1",
    "stages": {"C1-review-1": {"stage": "review", "due_at": "2026-03-16T09:00:00Z", "t": 1.5}},
}


def test_put_stores_compact_json_bytes_and_get_returns_the_record() -> None:
    table: dict[str, Any] = {}
    store = TableCaseStore(table)
    store.put("C1", RECORD)
    assert isinstance(table["C1"], bytes)
    assert b" " not in table["C1"]
    assert json.loads(table["C1"]) == RECORD
    assert store.get("C1") == RECORD
    assert store.get("missing") is None


def test_records_written_by_an_older_worker_as_dicts_or_text_are_read() -> None:
    table: dict[str, Any] = {"A": dict(RECORD, case_id="A"), "B": json.dumps(RECORD), "X": 7}
    store = TableCaseStore(table)
    assert store.get("A") == dict(RECORD, case_id="A")
    assert store.get("B") == RECORD
    assert store.get("X") is None
    assert sorted(r["case_id"] for r in store.records()) == ["A", "C1"]


def test_delete_removes_the_record() -> None:
    table: dict[str, Any] = {}
    store = TableCaseStore(table)
    store.put("C1", RECORD)
    store.delete("C1")
    store.delete("C1")
    assert table == {} and list(store.records()) == []
