"""A fetched batch handled with keys at once (``consumer_concurrency`` above 1): one key's
records in order, other keys alongside, and only a handled prefix of a partition committed."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from shared.contracts.examples import example_envelope
from shared.kafka.batch import handle_batch, handled_prefix
from tests.unit.shared.test_consumer import FakeRecord, T, make_consumer


@dataclass(frozen=True)
class Rec:
    offset: int
    key: bytes | None
    topic: str = "egov.stages"
    partition: int = 0


class Gates:
    """A process step whose records wait until the test opens them, and which logs the order
    they started and finished in."""

    def __init__(
        self, *, wait_for: frozenset[int] = frozenset(), fail: frozenset[int] = frozenset()
    ) -> None:
        self.opened = {o: asyncio.Event() for o in wait_for}
        self.fail = fail
        self.started: list[int] = []
        self.finished: list[int] = []
        self.running = 0
        self.most = 0

    async def __call__(self, record: Rec) -> str:
        self.started.append(record.offset)
        self.running += 1
        self.most = max(self.most, self.running)
        try:
            if record.offset in self.opened:
                await self.opened[record.offset].wait()
            await asyncio.sleep(0)
            if record.offset in self.fail:
                raise RuntimeError(f"record {record.offset} failed")
            self.finished.append(record.offset)
            return "handled"
        finally:
            self.running -= 1


async def until(condition: Any) -> None:
    for _ in range(200):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("condition never met")


async def test_other_keys_go_on_while_one_key_waits_and_that_key_keeps_its_order() -> None:
    batch = {"p0": [Rec(0, b"case-a"), Rec(1, b"case-b"), Rec(2, b"case-a"), Rec(3, b"case-b")]}
    gates = Gates(wait_for=frozenset({0}))
    task = asyncio.create_task(handle_batch(batch, gates, concurrency=4))
    await until(lambda: gates.finished == [1, 3])  # case-b done while case-a's first waits
    assert 2 not in gates.started  # case-a's second waits for its first
    gates.opened[0].set()
    offsets, error = await task
    assert gates.finished == [1, 3, 0, 2]
    assert offsets == {"p0": 4} and error is None


async def test_a_partition_is_committed_only_up_to_its_first_unhandled_record() -> None:
    batch = {
        "p0": [Rec(10, b"a"), Rec(11, b"b"), Rec(12, b"a"), Rec(13, b"b")],
        "p1": [Rec(5, b"c")],
    }
    gates = Gates(fail=frozenset({11}))
    offsets, error = await handle_batch(batch, gates, concurrency=8)
    # b failed at 11: its 13 is not handled (b's order), and although a's 12 is, nothing past
    # 11 is committed, so 11 and 13 come again; the other partition is unaffected.
    assert 13 not in gates.started and 12 in gates.finished
    assert offsets == {"p0": 11, "p1": 6}
    assert isinstance(error, RuntimeError)


async def test_records_without_a_key_stay_in_order_and_at_most_concurrency_run_at_once() -> None:
    batch = {"p0": [Rec(0, None), Rec(1, None)] + [Rec(i, f"k{i}".encode()) for i in range(2, 12)]}
    gates = Gates(wait_for=frozenset({0}))
    task = asyncio.create_task(handle_batch(batch, gates, concurrency=3))
    await until(lambda: len(gates.finished) == 10)
    assert 1 not in gates.started
    gates.opened[0].set()
    offsets, _ = await task
    assert gates.finished[-2:] == [0, 1]
    assert gates.most == 3
    assert offsets == {"p0": 12}


def test_the_handled_prefix_stops_at_the_first_gap() -> None:
    assert handled_prefix([3, 4, 5], {3, 5}) == 4
    assert handled_prefix([3, 4, 5], {4, 5}) is None
    assert handled_prefix([3, 4, 5], {3, 4, 5}) == 6


async def test_the_consumer_handles_a_case_s_events_in_order_with_concurrency_on() -> None:
    seen: list[str] = []
    first_may_finish = asyncio.Event()

    async def handler(envelope: Any, data: Any) -> None:
        if envelope.id == "a1":
            await first_may_finish.wait()
        seen.append(envelope.id)

    consumer, _ = make_consumer(handler, consumer_concurrency=4)

    def record(event_id: str, key: bytes, offset: int) -> FakeRecord:
        value = example_envelope(T, id=event_id).to_json_bytes()
        return FakeRecord(value, key=key, partition=0, offset=offset)

    batch = {"tp": [record("a1", b"A", 0), record("b1", b"B", 1), record("a2", b"A", 2)]}
    task = asyncio.create_task(consumer.handle(batch))  # type: ignore[arg-type]
    await until(lambda: seen == ["b1"])
    first_may_finish.set()
    offsets, error = await task
    assert seen == ["b1", "a1", "a2"]
    assert offsets == {"tp": 3} and error is None
