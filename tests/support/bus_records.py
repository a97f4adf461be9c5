"""Bus records for the unit tests of the day's checker and summary: valid events built from the
contract examples, with the ids and fields a test chooses; no broker."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import count
from typing import Any

from demo.bus import BusRecord
from shared.contracts import DEAD_LETTER_TOPIC, make_envelope, model_for, topic_for
from shared.contracts.examples import EXAMPLES

PUBLISHED_AT = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
_offsets = count()


def bus_record(event_type: str, id: str, **over: Any) -> BusRecord:
    """The contract example of ``event_type`` with ``over`` applied, published under ``id``."""
    data = model_for(event_type).model_validate({**EXAMPLES[event_type], **over})
    env = make_envelope(data, source="/t", time=PUBLISHED_AT, id=id)
    return BusRecord(
        topic_for(event_type), 0, next(_offsets), env.subject, env.to_json_bytes(), (), env
    )


def breaking_contract(event_type: str, id: str, **bad: Any) -> BusRecord:
    """A valid envelope whose data breaks its contract (fields in ``bad`` replaced as given)."""
    env = bus_record(event_type, id).envelope
    assert env is not None
    broken = env.model_copy(update={"data": {**env.data, **bad}})
    return BusRecord(
        topic_for(event_type), 0, next(_offsets), None, broken.to_json_bytes(), (), broken
    )


def dead_letter(value: bytes, **headers: str) -> BusRecord:
    """A copy on the dead-letter topic; ``headers`` by name with dots as underscores
    (``dlq_reason="not_json"``)."""
    raw = tuple((k.replace("_", "."), v.encode()) for k, v in headers.items())
    return BusRecord(DEAD_LETTER_TOPIC, 0, next(_offsets), None, value, raw, None)
