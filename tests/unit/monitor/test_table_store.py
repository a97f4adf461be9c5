"""The cases table keeps each typed record as compact JSON bytes in the table format, reads the
values older workers wrote (dicts, text, bytes) and writes them back byte for byte."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from services.monitor.ports import CaseRecord, EarlyClosing, StatsRow
from services.monitor.store import TableCaseStore, TableStats

RECORD: dict[str, Any] = {
    "p": 3,
    "case_id": "C1",
    "stages": {"C1-review-1": {"stage": "review", "due_at": "2026-03-16T09:00:00Z", "t": 1.5}},
}
TYPED = CaseRecord(
    case_id="C1",
    partition=3,
    stages={"C1-review-1": {"stage": "review", "due_at": "2026-03-16T09:00:00Z"}},
    timers={"C1-review-1": 1.5},
)

# A decided case as a worker before the typed records wrote it to the changelog.
OLD = (
    b'{"p":5,"case_id":"C9","stages":{"C9-a":{"stage":"acceptance","status":"closed",'
    b'"due_at":"2026-03-16T09:00:00+08:00"},"C9-d":{"stage":"delivery",'
    b'"due_at":"2026-03-20T23:59:59+08:00","rung":1,"t":1773964800.0}},'
    b'"decided":true,"follow":["delivery","verification"],'
    b'"early":{"C9-v":{"closed_at":"2026-03-18T10:00:00+08:00","outcome":"passed",'
    b'"reason":null}}}'
)


def test_put_stores_compact_json_bytes_and_get_returns_the_typed_record() -> None:
    table: dict[str, Any] = {}
    store = TableCaseStore(table)
    store.put("C1", TYPED)
    assert isinstance(table["C1"], bytes)
    assert b" " not in table["C1"]
    assert json.loads(table["C1"]) == RECORD
    assert store.get("C1") == TYPED
    assert store.get("missing") is None


def test_an_older_workers_changelog_value_recovers_unchanged() -> None:
    table: dict[str, Any] = {"C9": OLD}
    store = TableCaseStore(table)
    rec = store.get("C9")
    assert rec is not None
    assert (rec.case_id, rec.partition, rec.decided) == ("C9", 5, True)
    assert rec.follow == ["delivery", "verification"]
    assert rec.timers == {"C9-d": 1773964800.0} and "t" not in rec.stages["C9-d"]
    assert rec.stages["C9-d"]["rung"] == 1
    closed_at = datetime(2026, 3, 18, 2, 0, tzinfo=UTC)
    assert rec.early == {"C9-v": EarlyClosing(closed_at, "passed", None)}
    store.put("C9", rec)
    assert table["C9"] == OLD  # same bytes: the changelog and its memory cost do not change


def test_records_written_by_an_older_worker_as_dicts_or_text_are_read() -> None:
    table: dict[str, Any] = {"A": dict(RECORD, case_id="A"), "B": json.dumps(RECORD), "X": 7}
    store = TableCaseStore(table)
    a = store.get("A")
    assert a is not None and a.case_id == "A" and a.timers == TYPED.timers
    assert store.get("B") == TYPED
    assert store.get("X") is None
    assert sorted(r.case_id for r in store.records()) == ["A", "C1"]
    assert table["A"]["stages"]["C1-review-1"]["t"] == 1.5  # reading never changes the table


def test_delete_removes_the_record() -> None:
    table: dict[str, Any] = {}
    store = TableCaseStore(table)
    store.put("C1", TYPED)
    store.delete("C1")
    store.delete("C1")
    assert table == {} and list(store.records()) == []


def test_stats_rows_are_typed_and_rows_kept_before_the_partition_take_it_from_their_key() -> None:
    table: dict[str, Any] = {
        # a row as a worker before the partition key wrote it: the key's prefix names it
        "7|D0|I0|R0": {"department": "D0", "item_code": "I0", "region": "R0", "closed": 4},
    }
    stats = TableStats(table)
    stats.bump(2, "D1", "I1", "R1", closed=1, on_time=1)
    stats.bump(2, "D1", "I1", "R1", closed=1)
    rows = sorted(stats.rows(), key=lambda r: r.partition)
    assert rows == [
        StatsRow(2, "D1", "I1", "R1", {"closed": 2, "on_time": 1}),
        StatsRow(7, "D0", "I0", "R0", {"closed": 4}),
    ]
    assert rows[0].view() == {
        "department": "D1",
        "item_code": "I1",
        "region": "R1",
        "closed": 2,
        "on_time": 1,
    }
