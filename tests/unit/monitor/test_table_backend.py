"""The table store the worker is built with: RocksDB (rocksdict) under the data directory, where
a restarted worker finds its records and the changelog offset it had reached; or memory."""

from __future__ import annotations

import os
import weakref
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from faust.stores.memory import Store as MemoryStore
from faust.streams import _current_event
from faust.types import TP

from services.monitor.settings import MonitorSettings
from services.monitor.stream import MonitorStream
from shared.clock import FixedClock
from tests.unit.monitor.test_handlers import OPENED

APP_ID = "egov-monitor-unit"
CHANGELOG_3 = TP(f"{APP_ID}-monitor-cases-changelog", 3)


def stream(tmp_path: Path, store: str) -> MonitorStream:
    settings = MonitorSettings(
        monitor_store=store, monitor_data_dir=str(tmp_path), monitor_app_id=APP_ID
    )
    return MonitorStream(settings, FixedClock(OPENED))


class Event:
    def __init__(self, partition: int) -> None:
        self.message = SimpleNamespace(partition=partition)


def on_partition(partition: int) -> Any:
    """faust's table stores write to the partition of the event being processed."""
    event = Event(partition)
    _current_event.set(weakref.ref(event))  # type: ignore[arg-type]
    return event


async def write_partition_3(tmp_path: Path) -> tuple[MonitorStream, Any]:
    first = stream(tmp_path, "rocksdb")
    data: Any = first.cases.data
    event = on_partition(3)
    data["C1"] = b'{"p":3}'
    data.set_persisted_offset(CHANGELOG_3, 41)
    del event
    return first, data


async def reopened(tmp_path: Path) -> tuple[int | None, bytes | None]:
    """What a restarted worker finds of partition 3: the offset to recover from, a record."""
    again: Any = stream(tmp_path, "rocksdb").cases.data
    event = on_partition(3)
    found = again.persisted_offset(CHANGELOG_3), again.get("C1")
    del event
    await again.stop()
    return found


async def test_a_restarted_worker_finds_its_records_and_changelog_offset_on_disk(
    tmp_path: Path,
) -> None:
    _, data = await write_partition_3(tmp_path)
    assert data.use_rocksdict and any(tmp_path.rglob("monitor-cases-3.db"))
    await data.stop()  # closes the databases (the process's end does the same)
    assert await reopened(tmp_path) == (41, b'{"p":3}')  # recovery reads on from offset 41


async def test_a_partition_given_away_is_recovered_from_the_changelog_when_it_comes_back(
    tmp_path: Path,
) -> None:
    first, data = await write_partition_3(tmp_path)
    data.revoke_partitions(first.cases, {CHANGELOG_3})
    await data.stop()
    assert await reopened(tmp_path) == (None, None)


async def test_a_copy_older_than_the_maximum_age_is_discarded(tmp_path: Path) -> None:
    _, data = await write_partition_3(tmp_path)
    await data.stop()
    files = list(next(tmp_path.rglob("monitor-cases-3.db")).iterdir())
    written = max(f.stat().st_mtime for f in files)  # the copy's own age, not the clock's
    old = written - MonitorSettings().monitor_state_max_age_s - 60
    for f in files:
        os.utime(f, (old, old))
    assert await reopened(tmp_path) == (None, None)


def test_the_memory_store_keeps_nothing_to_start_from(tmp_path: Path) -> None:
    data = stream(tmp_path, "memory").cases.data
    assert isinstance(data, MemoryStore)
    assert data.persisted_offset(CHANGELOG_3) is None


def test_without_a_data_directory_each_process_gets_a_fresh_one() -> None:
    settings = MonitorSettings(monitor_app_id=APP_ID)
    one = MonitorStream(settings, FixedClock(OPENED)).app.conf.datadir
    two = MonitorStream(settings, FixedClock(OPENED)).app.conf.datadir
    assert one != two and Path(one).is_dir() and not any(Path(one).iterdir())
