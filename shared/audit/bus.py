"""Reading the checkpoints back from the bus (the adapter behind `egov audit verify --bus`)."""

from __future__ import annotations

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
    from shared.kafka.reading import read_whole_topic

    found = BusCheckpoints()
    for m in await read_whole_topic(settings, T_AUDIT_CHECKPOINTS, timeout_s=timeout_s):
        try:
            found.checkpoints.append(decode(m.value))
        except (ValidationError, ValueError) as exc:
            found.unreadable.append(f"{m.partition}:{m.offset}: {exc}")
    return found
