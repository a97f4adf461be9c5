"""faust's RocksDB table store (rocksdict), safe to keep on a worker's volume.

Local state is trusted only while the changelog can still correct it. A worker that gets a
partition reads its local copy and the changelog from the offset that copy had reached. A case
deleted meanwhile (finished, or moved on by another worker) arrives as a tombstone, but Kafka
drops tombstones from a compacted topic after ``delete.retention.ms`` (1 day by default): a copy
older than that could keep a finished case alive and fire its timers again. So:

* a partition this worker gives away is marked stale (the next owner advances it elsewhere), and
  its copy is discarded before it is ever opened again;
* a copy untouched for longer than ``max_age_s`` is discarded when opened;

and the partition is then recovered from the whole changelog, as the memory store always does.
"""

from __future__ import annotations

import atexit
import logging
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from faust.stores import STORES
from faust.stores import rocksdb as faust_rocksdb
from faust.types import TP, CollectionT

log = logging.getLogger(__name__)

SCHEME = "egov-rocksdb"
STORES.aliases[SCHEME] = f"{__name__}:Store"  # store="egov-rocksdb://" picks this class
STALE = ".stale"


def last_written(path: Path) -> float | None:
    """When a RocksDB directory was last written (every write appends to its log)."""
    times = [f.stat().st_mtime for f in path.iterdir()] if path.is_dir() else []
    return max(times, default=None)


def usable(path: Path, now: float, max_age_s: float) -> bool:
    written = last_written(path)
    if path.with_name(path.name + STALE).exists():
        return False
    return written is None or now - written <= max_age_s


def scratch_dir(app_id: str) -> str:
    """A data directory of this process alone, removed at a clean exit: a worker never opens
    state that another run (on another broker, perhaps) left behind, nor another's locks."""
    path = tempfile.mkdtemp(prefix=f"{app_id}-")
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


def rocksdb_options() -> dict[str, Any]:
    """faust's RocksDB defaults (64 MB write buffers, 3 of them, a 2 GB block cache) are per
    partition and table, twelve of each here; these keep a worker's memory for its state small
    (the records are read back through the cache only on a timer firing or an event)."""
    return {
        "driver": "rocksdict",
        "write_buffer_size": 8 * 2**20,
        "max_write_buffer_number": 2,
        "block_cache_size": 16 * 2**20,
    }


class Store(faust_rocksdb.Store):
    max_age_s: float = 12 * 3600.0

    def __init__(self, url: Any, app: Any, table: Any, **kwargs: Any) -> None:
        super().__init__(url, app, table, **kwargs)
        settings = getattr(app, "egov_settings", None)
        self.max_age_s = getattr(settings, "monitor_state_max_age_s", self.max_age_s)

    def _open_for_partition(self, partition: int) -> Any:
        path = Path(self.partition_path(partition))
        if not usable(path, time.time(), self.max_age_s):
            log.warning("discarding the local copy of %s: recovering from the changelog", path)
            shutil.rmtree(path, ignore_errors=True)
        path.with_name(path.name + STALE).unlink(missing_ok=True)
        return super()._open_for_partition(partition)

    def revoke_partitions(self, table: CollectionT, tps: set[TP]) -> None:
        for tp in tps:
            if tp.topic in table.changelog_topic.topics:
                path = Path(self.partition_path(tp.partition))
                if path.exists():
                    path.with_name(path.name + STALE).touch()
        super().revoke_partitions(table, tps)
