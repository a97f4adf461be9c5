"""One fetched batch handled with records of different keys at once (``consumer_concurrency``).

A key's records are handled one after another in offset order, so the events of one case keep
the order their producer gave them; records of other keys, in the same partition or another,
do not wait for them. Records without a key are one chain per partition. At most
``concurrency`` records are in a handler at any moment.

The offsets to commit are, per partition, one past the last record of its handled prefix: a
record is never committed before every earlier record of its partition is handled, whatever
order the keys finished in.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Protocol, TypeVar


class Positioned(Protocol):
    @property
    def offset(self) -> int: ...
    @property
    def key(self) -> bytes | None: ...


P = TypeVar("P")  # a partition (aiokafka's TopicPartition)
R = TypeVar("R", bound=Positioned)


def handled_prefix(offsets: Sequence[int], handled: set[int]) -> int | None:
    """One past the last offset of the handled prefix of ``offsets`` (sorted), or None."""
    last = None
    for offset in offsets:
        if offset not in handled:
            break
        last = offset + 1
    return last


async def handle_batch(
    batch: Mapping[P, Sequence[R]],
    process: Callable[[R], Awaitable[object]],
    *,
    concurrency: int,
) -> tuple[dict[P, int], BaseException | None]:
    """The offsets to commit (partition -> next offset to read) and the first failure of
    ``process``, if any (that key's later records are then left unhandled, uncommitted)."""
    limit = asyncio.Semaphore(max(1, concurrency))
    handled: dict[P, set[int]] = {tp: set() for tp in batch}
    chains: dict[tuple[P, bytes | None], list[R]] = {}
    for tp, records in batch.items():
        for record in records:
            chains.setdefault((tp, record.key), []).append(record)

    async def run(tp: P, chain: list[R]) -> None:
        for record in chain:
            async with limit:
                await process(record)
            handled[tp].add(record.offset)

    results = await asyncio.gather(
        *(run(tp, chain) for (tp, _), chain in chains.items()), return_exceptions=True
    )
    offsets: dict[P, int] = {}
    for tp, records in batch.items():
        end = handled_prefix(sorted(r.offset for r in records), handled[tp])
        if end is not None:
            offsets[tp] = end
    error = next((r for r in results if isinstance(r, BaseException)), None)
    return offsets, error
