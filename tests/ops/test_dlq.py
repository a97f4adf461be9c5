"""`egov dlq`: parsing dead letters and choosing which to replay (no broker needed)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from typer.testing import CliRunner

from shared.cli import app
from shared.dlq import DeadLetterRecord, select
from shared.kafka.deadletter import DeadLetter, DeadLetterReason

pytestmark = pytest.mark.ops

CT = b"application/cloudevents+json; charset=UTF-8"


def _record(
    reason: DeadLetterReason,
    topic: str,
    event_type: str | None,
    *,
    offset: int = 0,
    value: bytes = b"{}",
    headers: tuple[tuple[str, bytes], ...] = (),
) -> DeadLetterRecord:
    letter = DeadLetter(
        reason=reason,
        error="boom",
        topic=topic,
        partition=2,
        offset=41,
        consumer="notify",
        failed_at=datetime(2026, 11, 23, 1, 0, tzinfo=UTC),
        key=b"k1",
        value=value,
        original_headers=headers,
        event_type=event_type,
    )
    return DeadLetterRecord.from_message(0, offset, letter.key, letter.value, letter.headers())


def test_a_dead_letter_is_read_back_with_its_origin_and_original_headers() -> None:
    r = _record(
        DeadLetterReason.HANDLER_FAILED,
        "egov.supervision",
        "gov.egov.stage.overdue.v1",
        value=b'{"id": "x"}',
        headers=(("content-type", CT), ("dlq.reason", b"old")),
    )
    assert (r.reason, r.source_topic, r.source_partition, r.source_offset) == (
        "handler_failed",
        "egov.supervision",
        2,
        41,
    )
    assert r.event_type == "gov.egov.stage.overdue.v1"
    assert r.value == b'{"id": "x"}' and r.key == b"k1"
    # Only the original headers go back on replay, never the dlq.* bookkeeping.
    assert r.original_headers == (("content-type", CT),)
    assert "egov.supervision[2]@41" in r.summary()


def test_the_event_type_falls_back_to_the_body_when_no_header_names_it() -> None:
    body = json.dumps({"type": "gov.egov.case.submitted.v1"}).encode()
    r = _record(DeadLetterReason.SCHEMA_VIOLATION, "egov.cases", None, value=body)
    assert r.event_type == "gov.egov.case.submitted.v1"
    garbage = _record(DeadLetterReason.NOT_JSON, "egov.cases", None, value=b"\xff not json")
    assert garbage.event_type is None


def test_select_combines_reason_type_and_topic_filters() -> None:
    records = [
        _record(DeadLetterReason.HANDLER_FAILED, "egov.cases", "a", offset=1),
        _record(DeadLetterReason.HANDLER_FAILED, "egov.stages", "b", offset=2),
        _record(DeadLetterReason.REJECTED, "egov.cases", "a", offset=3),
    ]
    assert [r.offset for r in select(records, reason="handler_failed")] == [1, 2]
    assert [r.offset for r in select(records, reason="handler_failed", topic="egov.cases")] == [1]
    assert [r.offset for r in select(records, event_type="a")] == [1, 3]
    assert select(records, reason="too_large") == []
    assert len(select(records)) == 3


def test_replay_refuses_to_run_without_a_filter() -> None:
    result = CliRunner().invoke(app, ["dlq", "replay"])
    assert result.exit_code == 2
    assert "--all" in result.output
