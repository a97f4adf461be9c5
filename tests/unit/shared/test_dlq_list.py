"""`egov dlq list` shows each dead letter's message key: the case number, subject or external id an
operator looks for (`... | grep APP-7731-0002`, docs/intake.md), without a broker."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from typer.testing import CliRunner

from shared import dlq
from shared.cli import app
from shared.kafka.deadletter import DeadLetter, DeadLetterReason


def _record(key: bytes | None, offset: int) -> dlq.DeadLetterRecord:
    letter = DeadLetter(
        reason=DeadLetterReason.REJECTED,
        error="submission refused (422)",
        topic="egov.ingress.cq-mobile-app",
        partition=1,
        offset=7,
        consumer="intake",
        failed_at=datetime(2026, 11, 23, 1, 0, tzinfo=UTC),
        key=key,
        value=b'{"type": "gov.egov.intake.submission.v1"}',
        original_headers=(),
        event_type=None,
    )
    return dlq.DeadLetterRecord.from_message(0, offset, letter.key, letter.value, letter.headers())


@pytest.fixture
def letters(monkeypatch: pytest.MonkeyPatch) -> list[dlq.DeadLetterRecord]:
    records = [_record(b"APP-7731-0002", 0), _record(None, 1), _record(b"\xff\xfek", 2)]

    async def read(*_: object, **__: object) -> list[dlq.DeadLetterRecord]:
        return records

    monkeypatch.setattr(dlq, "read_dead_letters", read)
    return records


def test_the_list_shows_the_message_key(letters: list[dlq.DeadLetterRecord]) -> None:
    result = CliRunner().invoke(app, ["dlq", "list"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert "key=APP-7731-0002" in lines[0]
    assert "egov.ingress.cq-mobile-app[1]@7" in lines[0]
    assert "key=-" in lines[1]  # a message without a key
    assert "key=\\xff\\xfek" in lines[2]  # bytes that are no UTF-8 stay readable


def test_the_json_list_has_the_key(letters: list[dlq.DeadLetterRecord]) -> None:
    result = CliRunner().invoke(app, ["dlq", "list", "--json"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [row["key"] for row in rows] == ["APP-7731-0002", None, "\\xff\\xfek"]
