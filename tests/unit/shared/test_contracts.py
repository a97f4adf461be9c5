"""Event contracts: every type round-trips, maps to a registered topic, and the committed
export in docs/contracts matches what the code generates."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from pydantic import ValidationError

from shared.contracts import (
    EVENT_TYPES,
    TOPICS,
    Envelope,
    StageOpened,
    derived_event_id,
    make_envelope,
    parse_data,
    topic_for,
)
from shared.contracts.examples import EXAMPLES, example_data, example_envelope
from shared.contracts.export import asyncapi_document, event_schema, render_all

REPO = Path(__file__).resolve().parents[3]

REQUIRED_TYPES = {
    "case.submitted",
    "prereview.done",
    "stage.opened",
    "stage.suspended",
    "stage.resumed",
    "stage.closed",
    "stage.warned",
    "stage.overdue",
    "supervision.escalated",
    "supervision.finding",
    "case.decided",
    "case.rated",
    "rectification.opened",
    "rectification.closed",
    "credit.incident",
    "credit.changed",
    "notification.delivered",
    "notification.failed",
}


def test_registry_covers_every_platform_event() -> None:
    short = {t.removeprefix("gov.egov.").removesuffix(".v1") for t in EVENT_TYPES}
    assert REQUIRED_TYPES <= short
    assert all(t.startswith("gov.egov.") and t.endswith(".v1") for t in EVENT_TYPES)


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_round_trip_through_json(event_type: str) -> None:
    env = example_envelope(event_type)
    raw = env.to_json_bytes()
    back = Envelope.from_json_bytes(raw)
    assert back == env
    assert parse_data(back) == example_data(event_type)
    assert back.subject == example_data(event_type).event_key()
    assert topic_for(event_type) in TOPICS


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_envelope_is_a_valid_cloudevent_for_the_sdk(event_type: str) -> None:
    env = example_envelope(event_type, id="abc")
    event = JSONFormat().read(CloudEvent, env.to_json_bytes())
    attrs = event.get_attributes()
    assert attrs["specversion"] == "1.0"
    assert attrs["type"] == event_type
    assert attrs["id"] == "abc"
    assert attrs["correlationid"] == "abc"
    assert attrs["schemaversion"] == 1
    assert event.get_data() == env.data


def test_correlation_and_causation_are_inherited() -> None:
    t = datetime(2026, 1, 5, tzinfo=UTC)
    first = example_envelope(StageOpened.event_type, id="first")
    second = make_envelope(
        example_data(StageOpened.event_type), source="/x", time=t, causation=first
    )
    assert second.correlationid == first.correlationid == "first"
    assert second.causationid == "first"
    assert second.id != first.id


def test_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        make_envelope(example_data(StageOpened.event_type), source="/x", time=datetime(2026, 1, 5))


def test_derived_ids_are_deterministic_and_distinct() -> None:
    assert derived_event_id("s1", "red") == derived_event_id("s1", "red")
    assert derived_event_id("s1", "red") != derived_event_id("s1", "yellow")


def test_schema_violation_is_reported_by_field() -> None:
    bad = dict(EXAMPLES[StageOpened.event_type])
    bad["due_at"] = "tomorrow"
    env = make_envelope(
        example_data(StageOpened.event_type), source="/x", time=datetime(2026, 1, 5, tzinfo=UTC)
    )
    broken = env.model_copy(update={"data": bad})
    with pytest.raises(ValidationError) as err:
        parse_data(broken)
    assert "due_at" in str(err.value)


def test_unknown_fields_are_ignored_for_forward_compatibility() -> None:
    data = {**EXAMPLES[StageOpened.event_type], "added_in_a_later_release": 1}
    assert StageOpened.model_validate(data).stage_id.endswith(":review")


def test_json_schema_accepts_the_example_shape() -> None:
    schema = event_schema(StageOpened.event_type)
    assert schema["properties"]["type"]["const"] == StageOpened.event_type
    assert set(schema["required"]) >= {"id", "source", "type", "specversion", "time", "subject"}
    assert "due_at" in schema["properties"]["data"]["required"]


def test_asyncapi_lists_every_topic_with_partitions() -> None:
    doc = asyncapi_document()
    assert doc["asyncapi"].startswith("3.")
    addresses = {c["address"]: c for c in doc["channels"].values()}
    assert set(addresses) == set(TOPICS)
    assert addresses["egov.stages"]["bindings"]["kafka"]["partitions"] == 6


def test_committed_contracts_match_the_code() -> None:
    """Fails when docs/contracts is stale: run `make contracts` and commit the result."""
    stale = []
    for rel, content in render_all().items():
        path = REPO / "docs" / "contracts" / rel
        if not path.exists() or path.read_text(encoding="utf-8") != content:
            stale.append(rel)
    assert not stale, f"docs/contracts out of date (run `make contracts`): {stale[:5]}"
    committed = {p.name for p in (REPO / "docs" / "contracts" / "schemas").glob("*.json")}
    generated = {Path(r).name for r in render_all() if r.startswith("schemas/")}
    assert committed == generated, f"extra or missing schema files: {committed ^ generated}"


def test_every_example_is_json_serialisable() -> None:
    for t in EVENT_TYPES:
        json.dumps(EXAMPLES[t], ensure_ascii=False)
