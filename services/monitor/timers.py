"""Due-time index per assigned partition and the single loop that fires it.

No scan of the open stages per tick: each partition has a heap of (due, case, stage) with lazy
deletion (an entry counts only while it equals the stage's latest scheduled due time). The loop
sleeps until the earliest due instant (converted to real seconds for an accelerated clock), then
publishes a firing to the timer topic on the same partition, so the agent owning the case applies
it to the table. The heaps are rebuilt from the table after every recovery.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime

from services.monitor import metrics as m
from shared.clock import Clock
from shared.jobs import stopping

log = logging.getLogger(__name__)

Fire = Callable[[list[tuple[int, str, str, float]]], Awaitable[None]]


def _ts(dt: datetime) -> float:
    return dt.timestamp()


class TimerWheel:
    def __init__(self, clock: Clock, *, max_sleep_s: float = 0.5, batch: int = 5000) -> None:
        self.clock = clock
        self.speed = float(getattr(clock, "speed", 1.0))
        self.max_sleep_s = max_sleep_s
        self.batch = batch
        self._heaps: dict[int, list[tuple[float, str, str]]] = {}
        self._latest: dict[tuple[str, str], float] = {}
        self._owned: set[int] = set()
        self._wake = asyncio.Event()

    # --- called by handlers and rebalance hooks (same event loop, no locking needed) ----------

    def schedule(self, partition: int, case_id: str, stage_id: str, due: datetime | None) -> None:
        key = (case_id, stage_id)
        if due is None:
            self._latest.pop(key, None)
            return
        ts = _ts(due)
        if self._latest.get(key) == ts or partition not in self._owned:
            return
        self._latest[key] = ts
        heap = self._heaps.setdefault(partition, [])
        earliest = heap[0][0] if heap else None
        heapq.heappush(heap, (ts, case_id, stage_id))
        if earliest is None or ts < earliest:
            self._wake.set()

    def _repush(self, partition: int, case_id: str, stage_id: str, ts: float) -> None:
        if partition in self._owned and (case_id, stage_id) not in self._latest:
            self._latest[(case_id, stage_id)] = ts
            heapq.heappush(self._heaps.setdefault(partition, []), (ts, case_id, stage_id))

    def assign(
        self, partitions: Iterable[int], entries: Iterable[tuple[int, str, str, float]]
    ) -> None:
        """Replace the index with ``entries`` (partition, case, stage, due timestamp)."""
        self._owned = set(partitions)
        self._heaps = {p: [] for p in self._owned}
        self._latest = {}
        for p, case_id, stage_id, due in entries:
            if p in self._owned:
                ts = due
                self._latest[(case_id, stage_id)] = ts
                self._heaps[p].append((ts, case_id, stage_id))
        for heap in self._heaps.values():
            heapq.heapify(heap)
        m.TIMERS_SCHEDULED.set(len(self._latest))
        self._wake.set()

    def revoke(self, partitions: Iterable[int]) -> None:
        for p in partitions:
            self._owned.discard(p)
            for _, case_id, stage_id in self._heaps.pop(p, []):
                self._latest.pop((case_id, stage_id), None)

    @property
    def owned(self) -> set[int]:
        return set(self._owned)

    def __len__(self) -> int:
        return len(self._latest)

    # --- the loop --------------------------------------------------------------------------------

    def pop_due(self, now_ts: float) -> list[tuple[int, str, str, float]]:
        due: list[tuple[int, str, str, float]] = []
        for p, heap in self._heaps.items():
            while heap and heap[0][0] <= now_ts and len(due) < self.batch:
                ts, case_id, stage_id = heapq.heappop(heap)
                if self._latest.get((case_id, stage_id)) == ts:
                    del self._latest[(case_id, stage_id)]
                    due.append((p, case_id, stage_id, ts))
        return due

    def earliest(self) -> float | None:
        tops = [h[0][0] for h in self._heaps.values() if h]
        return min(tops) if tops else None

    async def run(self, fire: Fire, ready: Callable[[], bool] = lambda: True) -> None:
        """Fire due entries while ``ready()`` (the worker owns its partitions and streams run)."""
        while True:
            try:
                if not ready():
                    await asyncio.sleep(min(self.max_sleep_s, 0.1))
                    continue
                now_ts = self.clock.now().astimezone(UTC).timestamp()
                due = self.pop_due(now_ts)
                if due:
                    try:
                        await fire(due)
                    except BaseException:  # a stop too: the changelog keeps them either way
                        for p, case_id, stage_id, ts in due:  # keep them for the next round
                            self._repush(p, case_id, stage_id, ts)
                        raise
                    m.TIMERS_SCHEDULED.set(len(self._latest))
                    continue
                earliest = self.earliest()
                sleep = self.max_sleep_s
                if earliest is not None:
                    sleep = min(sleep, max(0.0, (earliest - now_ts) / self.speed))
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=sleep)
                except TimeoutError:
                    pass
            except asyncio.CancelledError:
                if stopping():
                    raise
                # a send the producer dropped (its thread cancels pending calls in a rebalance)
                log.warning("timer loop: a firing's send was cancelled; retrying")
                await asyncio.sleep(1.0)
            except Exception:  # noqa: BLE001 - the loop must survive; firings are re-derived
                log.exception("timer loop failed; retrying")
                await asyncio.sleep(1.0)
