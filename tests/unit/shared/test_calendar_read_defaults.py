"""Calendar rules the mutation run of 2026-12-02 left unpinned (docs/mutation/shared-calendar.md):
the schedule files are read as UTF-8 whatever the locale, and `egov calendar list --bus` waits
as long for the topic as every other reader of it. Each test names the mutants it kills."""

from __future__ import annotations

import codecs
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from shared.calendar import publish as calendar_publish
from shared.calendar.schedule import YearSchedule, read_year_file
from shared.contracts.events import T_CALENDAR
from shared.settings import ServiceSettings

SETTINGS = ServiceSettings(service_name="calendar-read-test")


def test_a_schedule_file_is_read_as_utf8_whatever_the_locale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The schedule's `source` names the State Council notice in Chinese: read with the
    locale's encoding (a GBK or Latin-1 locale) it would be garbled or refused. Kills
    schedule.x_read_year_file__mutmut_2 (`encoding=None`)."""
    path = tmp_path / "2027.json"
    written = YearSchedule(
        year=2027, source="国务院办公厅关于2027年部分节假日安排的通知", off=(date(2027, 1, 1),)
    )
    path.write_text(written.model_dump_json(), encoding="utf-8")
    encodings: list[str | None] = []
    read_text = Path.read_text

    def spy(self: Path, encoding: str | None = None, errors: str | None = None) -> str:
        encodings.append(encoding)
        return read_text(self, encoding=encoding, errors=errors)

    monkeypatch.setattr(Path, "read_text", spy)
    assert read_year_file(path) == written
    assert [codecs.lookup(e).name if e else None for e in encodings] == ["utf-8"]


async def test_listing_the_published_schedules_waits_as_long_as_every_reader(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`read_published` (the CLI's `list --bus`) waits up to 30 s for the topic by default,
    like `read_published_events`. Kills publish.x_read_published__mutmut_1 (31 s)."""
    asked: list[tuple[Any, str, float]] = []

    async def read_whole_topic(settings: Any, topic: str, *, timeout_s: float) -> list[Any]:
        asked.append((settings, topic, timeout_s))
        return []

    monkeypatch.setattr(calendar_publish, "read_whole_topic", read_whole_topic)
    assert await calendar_publish.read_published(SETTINGS) == []
    assert asked == [(SETTINGS, T_CALENDAR, 30.0)]
