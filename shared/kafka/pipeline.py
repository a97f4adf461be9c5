"""The steps every consumer runs on a message, whatever drives it (``EventConsumer`` on aiokafka,
the monitor's faust agent): decode and validate it, or say why it must go to the dead-letter topic;
build that dead letter; count and log it. One set of error texts for every service."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError

from shared.contracts import (
    Envelope,
    EventData,
    UnknownEventType,
    may_arrive_on,
    model_for,
    wrong_topic_error,
)
from shared.contracts.publishers import forged_source_error
from shared.kafka.deadletter import DeadLetter, DeadLetterReason
from shared.observability.labels import event_type_label
from shared.observability.metrics import EVENTS_CONSUMED, EVENTS_DEAD_LETTERED

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Decoded:
    envelope: Envelope
    data: EventData


@dataclass(frozen=True)
class Refused:
    """Why a message goes to the dead-letter topic."""

    reason: DeadLetterReason
    error: str
    event_type: str | None = None


def errors_text(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:20]:
        loc = ".".join(str(p) for p in err.get("loc", ())) or "(root)"
        parts.append(f"{loc}: {err.get('msg')}")
    return "; ".join(parts)


def too_large(value: bytes, max_bytes: int) -> Refused | None:
    if len(value) > max_bytes:
        return Refused(DeadLetterReason.TOO_LARGE, f"{len(value)} bytes > limit {max_bytes}")
    return None


def decode(topic: str, value: bytes, *, max_bytes: int) -> Decoded | Refused:
    """Size, JSON, envelope, type, the type's topic (``may_arrive_on``: handlers are chosen by
    type alone), the source's right to the topic, and the payload against its model."""
    refused = too_large(value, max_bytes)
    if refused is not None:
        return refused
    try:
        raw = json.loads(value)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return Refused(DeadLetterReason.NOT_JSON, str(exc))
    try:
        envelope = Envelope.model_validate(raw)
    except ValidationError as exc:
        event_type = raw.get("type") if isinstance(raw, dict) else None
        return Refused(DeadLetterReason.INVALID_ENVELOPE, errors_text(exc), event_type)
    try:
        model: type[EventData] = model_for(envelope.type)
    except UnknownEventType as exc:
        return Refused(DeadLetterReason.UNKNOWN_TYPE, str(exc), envelope.type)
    if not may_arrive_on(envelope.type, topic):
        error = wrong_topic_error(envelope.type, topic)
        return Refused(DeadLetterReason.WRONG_TOPIC, error, envelope.type)
    forged = forged_source_error(envelope.source, topic)
    if forged is not None:
        return Refused(DeadLetterReason.FORGED_SOURCE, forged, envelope.type)
    try:
        data = model.model_validate(envelope.data)
    except ValidationError as exc:
        return Refused(DeadLetterReason.SCHEMA_VIOLATION, errors_text(exc), envelope.type)
    return Decoded(envelope, data)


def dead_letter(
    refused: Refused,
    *,
    topic: str,
    partition: int,
    offset: int,
    key: bytes | None,
    value: bytes,
    headers: Sequence[tuple[str, bytes]],
    consumer: str,
    failed_at: datetime,
) -> DeadLetter:
    return DeadLetter(
        reason=refused.reason,
        error=refused.error,
        topic=topic,
        partition=partition,
        offset=offset,
        consumer=consumer,
        failed_at=failed_at,
        key=key,
        value=value,
        original_headers=tuple(headers),
        event_type=refused.event_type,
    )


def dead_lettered(service: str, letter: DeadLetter) -> None:
    """Counts and logs a dead letter once it is sent."""
    EVENTS_DEAD_LETTERED.labels(service, letter.topic, letter.reason.value).inc()
    EVENTS_CONSUMED.labels(service, event_type_label(letter.event_type), "dead_lettered").inc()
    log.warning(
        "dead-lettered %s[%d]@%d: %s: %s",
        letter.topic,
        letter.partition,
        letter.offset,
        letter.reason.value,
        letter.error[:300],
    )
