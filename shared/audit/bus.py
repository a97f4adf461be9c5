"""Reading the checkpoints back from the bus (the adapter behind `egov audit verify --bus`)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from pydantic import ValidationError

from shared.contracts import Envelope
from shared.contracts.events import T_AUDIT_CHECKPOINTS, AuditCheckpoint
from shared.settings import ServiceSettings


@dataclass
class BusCheckpoints:
    checkpoints: list[AuditCheckpoint] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)  # "partition:offset: why"


def decode(raw: bytes | None) -> AuditCheckpoint:
    envelope = Envelope.from_json_bytes(raw or b"")
    if envelope.type != AuditCheckpoint.event_type:
        raise ValueError(f"{envelope.type} on {T_AUDIT_CHECKPOINTS}")
    return AuditCheckpoint.model_validate(envelope.data)


async def read_checkpoints(settings: ServiceSettings, *, timeout_s: float = 60.0) -> BusCheckpoints:
    """Every checkpoint on the topic, from the beginning to its current end (groupless)."""
    from aiokafka import AIOKafkaConsumer

    from shared.kafka.client import connection_kwargs
    from shared.kafka.metadata import topic_partitions
    from shared.kafka.offsets import verified_end_offsets

    found = BusCheckpoints()
    consumer = AIOKafkaConsumer(
        **connection_kwargs(settings), enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        tps = await asyncio.wait_for(topic_partitions(consumer, T_AUDIT_CHECKPOINTS), timeout_s)
        ends = await verified_end_offsets(tps, connection_kwargs(settings))
        consumer.assign(tps)
        if tps:
            await consumer.seek_to_beginning(*tps)
        remaining = {tp for tp in tps if ends[tp] > 0}
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while remaining and loop.time() < deadline:
            batch = await consumer.getmany(*remaining, timeout_ms=500)
            for tp, messages in batch.items():
                for m in messages:
                    if m.offset >= ends[tp]:
                        continue
                    try:
                        found.checkpoints.append(decode(m.value))
                    except (ValidationError, ValueError) as exc:
                        found.unreadable.append(f"{m.partition}:{m.offset}: {exc}")
                    if m.offset + 1 >= ends[tp]:
                        remaining.discard(tp)
        if remaining:
            raise TimeoutError(f"could not read {T_AUDIT_CHECKPOINTS} to its end in {timeout_s} s")
        return found
    finally:
        await consumer.stop()
