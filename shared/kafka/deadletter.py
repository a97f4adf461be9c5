"""Dead-letter topic: the original bytes and headers, plus headers naming the reason and origin."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from shared.contracts import DEAD_LETTER_TOPIC


class DeadLetterReason(StrEnum):
    TOO_LARGE = "too_large"
    NOT_JSON = "not_json"
    INVALID_ENVELOPE = "invalid_envelope"
    UNKNOWN_TYPE = "unknown_type"
    WRONG_TOPIC = "wrong_topic"  # a known type on a topic it does not belong on (may_arrive_on)
    FORGED_SOURCE = "forged_source"  # an ingress event whose source is not its publisher's
    SCHEMA_VIOLATION = "schema_violation"
    HANDLER_FAILED = "handler_failed"
    REJECTED = "rejected"  # the handler refused it for a business reason (PermanentError)


H_REASON = "dlq.reason"
H_ERROR = "dlq.error"
H_TOPIC = "dlq.source.topic"
H_PARTITION = "dlq.source.partition"
H_OFFSET = "dlq.source.offset"
H_CONSUMER = "dlq.consumer"
H_FAILED_AT = "dlq.failed_at"
H_EVENT_TYPE = "dlq.event_type"


@dataclass(frozen=True)
class DeadLetter:
    reason: DeadLetterReason
    error: str
    topic: str
    partition: int
    offset: int
    consumer: str
    failed_at: datetime
    key: bytes | None
    value: bytes
    original_headers: tuple[tuple[str, bytes], ...] = ()
    event_type: str | None = None

    def headers(self) -> list[tuple[str, bytes]]:
        own = [
            (H_REASON, self.reason.value.encode()),
            (H_ERROR, self.error[:2000].encode()),
            (H_TOPIC, self.topic.encode()),
            (H_PARTITION, str(self.partition).encode()),
            (H_OFFSET, str(self.offset).encode()),
            (H_CONSUMER, self.consumer.encode()),
            (H_FAILED_AT, self.failed_at.isoformat().encode()),
        ]
        if self.event_type:
            own.append((H_EVENT_TYPE, self.event_type.encode()))
        kept = [(k, v) for k, v in self.original_headers if not k.startswith("dlq.")]
        return own + kept


def read_dead_letter_headers(
    headers: list[tuple[str, bytes]] | tuple[tuple[str, bytes], ...],
) -> dict[str, str]:
    return {k: v.decode(errors="replace") for k, v in headers if k.startswith("dlq.")}


__all__ = [
    "DEAD_LETTER_TOPIC",
    "DeadLetter",
    "DeadLetterReason",
    "read_dead_letter_headers",
]
