"""The monitor's faust producer does not report a flush while table changes are still queued."""

from __future__ import annotations

from typing import Any

from faust.types import TP

from services.monitor.transport import DurableFlushProducer, VerifiedConsumer


class StallingBuffer:
    """Like faust's ProducerBuffer under load: each flush moves one message, then gives up."""

    def __init__(self, queued: int) -> None:
        self.size = queued
        self.flush_calls = 0

    async def flush(self) -> None:
        self.flush_calls += 1
        if self.size:
            self.size -= 1


class FakeAioProducer:
    def __init__(self, buffer: StallingBuffer) -> None:
        self.buffer = buffer
        self.size_at_flush: int | None = None

    async def flush(self) -> None:
        self.size_at_flush = self.buffer.size


def producer_with(buffer: StallingBuffer) -> tuple[Any, FakeAioProducer]:
    producer: Any = object.__new__(DurableFlushProducer)  # no faust service machinery needed
    aio = FakeAioProducer(buffer)
    producer.buffer = buffer
    producer._producer = aio
    producer._transaction_producers = {}
    return producer, aio


async def test_flush_drains_the_buffer_before_flushing_the_kafka_producer() -> None:
    buffer = StallingBuffer(queued=5)
    producer, aio = producer_with(buffer)
    await producer.flush()
    assert buffer.size == 0
    assert aio.size_at_flush == 0
    assert buffer.flush_calls >= 5


async def test_flush_of_an_empty_buffer_goes_straight_to_the_kafka_producer() -> None:
    buffer = StallingBuffer(queued=0)
    producer, aio = producer_with(buffer)
    await producer.flush()
    assert aio.size_at_flush == 0


class RecordingThread:
    def __init__(self) -> None:
        self.sought: dict[Any, int] = {}

    async def seek_wait(self, partitions: dict[Any, int]) -> None:
        self.sought = dict(partitions)


async def test_recovery_seek_to_a_negative_offset_reads_from_the_start() -> None:
    consumer: Any = object.__new__(VerifiedConsumer)
    consumer._thread = RecordingThread()
    standby, active = TP("cases-changelog", 1), TP("cases-changelog", 2)
    await consumer.seek_wait({standby: -2, active: 17})
    assert consumer._thread.sought == {standby: 0, active: 17}
