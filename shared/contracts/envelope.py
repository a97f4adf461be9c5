"""CloudEvents 1.0 structured-mode JSON envelope shared by every event on the bus."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal

from asgi_correlation_id import correlation_id as current_correlation_id
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared.contracts.common import AwareDatetime

CONTENT_TYPE = "application/cloudevents+json; charset=UTF-8"


def kafka_headers() -> list[tuple[str, bytes]]:
    """The headers of every event on the bus: the structured content mode of the CloudEvents
    Kafka protocol binding, where the whole event is the JSON value.

    No ``ce_`` header may join them: a reader (the official CloudEvents SDKs among them) takes any
    ``ce_`` header to mean binary mode and then looks for every attribute in the headers.
    """
    return [("content-type", CONTENT_TYPE.encode())]


class EventData(BaseModel):
    """Base of every event payload. Subclasses set the class variables below.

    Unknown fields are ignored so that additive changes within a schema version never
    break an older consumer.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_type: ClassVar[str]
    topic: ClassVar[str]
    key_field: ClassVar[str] = "case_id"
    schema_version: ClassVar[int] = 1
    summary: ClassVar[str] = ""

    def event_key(self) -> str:
        return str(getattr(self, self.key_field))


class Envelope(BaseModel):
    """A CloudEvents 1.0 event. Extension attributes: correlationid, causationid, schemaversion."""

    model_config = ConfigDict(frozen=True, extra="allow")

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(min_length=1, max_length=200)
    source: str = Field(
        min_length=1, description="URI-reference of the producer, e.g. /egov/intake"
    )
    type: str = Field(min_length=1)
    time: AwareDatetime
    subject: str = Field(min_length=1, description="case id, or subject id for credit events")
    datacontenttype: Literal["application/json"] = "application/json"
    dataschema: str | None = None
    correlationid: str | None = None
    causationid: str | None = None
    schemaversion: int = 1
    data: dict[str, Any]

    def to_json_bytes(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode()

    @classmethod
    def from_json_bytes(cls, raw: bytes) -> Envelope:
        return cls.model_validate_json(raw)


def new_event_id() -> str:
    return uuid.uuid4().hex


# Published, so ids derived with it are guessable: for development and tests only. Production
# sets its own (EGOV_EVENT_ID_KEY, refused when missing with EGOV_ENVIRONMENT=prod).
DEV_EVENT_ID_KEY = "egov-dev-event-id-key-guessable"
_event_id_key = DEV_EVENT_ID_KEY.encode()


def use_event_id_key(key: str) -> None:
    """Key the ids of this process's derived events (once, at bootstrap, from the settings)."""
    global _event_id_key
    if not key:
        raise ValueError("the event id key must not be empty")
    _event_id_key = key.encode()


def derived_event_id(*parts: str) -> str:
    """Deterministic id for an event derived from state: a replay yields the same id.

    A keyed hash (HMAC-SHA-256 under the deployment's event id key) of the parts, so whoever
    knows the parts (a case id, a stage id) but not the key cannot compute the id in advance.
    """
    message = "\x1f".join(("egov", *parts)).encode()
    digest = hmac.new(_event_id_key, message, hashlib.sha256).digest()
    return digest[:16].hex()


def make_envelope(
    data: EventData,
    *,
    source: str,
    time: datetime,
    id: str | None = None,
    correlation_id: str | None = None,
    causation: Envelope | None = None,
) -> Envelope:
    """Wrap ``data`` in an envelope. The correlation id is, in this order: the one given, the
    causing event's, the current request's or event's (the context variable the HTTP middleware
    and the consumers set), else the new event's own id."""
    if time.tzinfo is None:
        raise ValueError("event time must be timezone-aware")
    event_id = id or new_event_id()
    corr = (
        correlation_id
        or (causation.correlationid if causation else None)
        or current_correlation_id.get()
        or event_id
    )
    return Envelope(
        id=event_id,
        source=source,
        type=data.event_type,
        time=time.astimezone(UTC),
        subject=data.event_key(),
        correlationid=corr,
        causationid=causation.id if causation else None,
        schemaversion=data.schema_version,
        # the same dict as json.loads(data.model_dump_json()), without the text in between
        data=data.model_dump(mode="json"),
    )


__all__ = [
    "CONTENT_TYPE",
    "Envelope",
    "EventData",
    "ValidationError",
    "DEV_EVENT_ID_KEY",
    "derived_event_id",
    "kafka_headers",
    "make_envelope",
    "new_event_id",
    "use_event_id_key",
]
