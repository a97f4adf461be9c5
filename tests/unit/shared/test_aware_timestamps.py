"""A timestamp without an offset is refused at the door, in the envelope and in every payload:
an outside system's "2026-03-02T09:00:00" is most likely Shanghai time, and taking it for UTC
would move a deadline by eight hours."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from shared.contracts import EVENT_TYPES, Envelope, StageOpened, model_for
from shared.contracts.examples import EXAMPLES, example_envelope

NAIVE = "2026-03-02T09:00:00"
AWARE = "2026-03-02T09:00:00+08:00"
AWARE_AS_UTC = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def _is_timestamp(schema: dict[str, Any]) -> bool:
    branches = [schema, *schema.get("anyOf", ())]
    return any(b.get("format") == "date-time" for b in branches)


def timestamp_fields(event_type: str) -> list[str]:
    """The payload fields holding a timestamp, found from the model's JSON Schema so that a
    field added later is checked too."""
    properties = model_for(event_type).model_json_schema()["properties"]
    return sorted(name for name, schema in properties.items() if _is_timestamp(schema))


PAYLOAD_TIMESTAMPS = [(t, f) for t in sorted(EVENT_TYPES) for f in timestamp_fields(t)]


def only_error(exc: ValidationError) -> tuple[tuple[str | int, ...], str]:
    [error] = exc.errors()
    return error["loc"], error["type"]


@pytest.mark.parametrize(("event_type", "field"), PAYLOAD_TIMESTAMPS)
def test_a_naive_payload_timestamp_is_refused_by_field(event_type: str, field: str) -> None:
    model = model_for(event_type)
    with pytest.raises(ValidationError) as refused:
        model.model_validate({**EXAMPLES[event_type], field: NAIVE})
    assert only_error(refused.value) == ((field,), "timezone_aware")

    accepted = model.model_validate({**EXAMPLES[event_type], field: AWARE})
    assert getattr(accepted, field) == AWARE_AS_UTC


def test_a_naive_envelope_time_is_refused_by_field() -> None:
    raw = json.loads(example_envelope(StageOpened.event_type).to_json_bytes())
    with pytest.raises(ValidationError) as refused:
        Envelope.model_validate({**raw, "time": NAIVE})
    assert only_error(refused.value) == (("time",), "timezone_aware")

    assert Envelope.model_validate({**raw, "time": AWARE}).time == AWARE_AS_UTC
