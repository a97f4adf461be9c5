"""Generate one JSON Schema per event type, an AsyncAPI 3.0 document for all topics and the
picture of who produces and consumes what (flow.md, shared/contracts/flow.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from shared.contracts.envelope import Envelope, kafka_headers
from shared.contracts.flow import flow_markdown
from shared.contracts.registry import EVENT_TYPES, TOPICS, TopicSpec

ENVELOPE_FIELDS = ("specversion", "id", "source", "type", "time", "subject")


def event_schema(event_type: str) -> dict[str, Any]:
    """The full CloudEvent (envelope + typed data) as a JSON Schema 2020-12 document."""
    model = EVENT_TYPES[event_type]
    data_schema = model.model_json_schema(mode="serialization")
    defs = data_schema.pop("$defs", {})
    envelope = Envelope.model_json_schema(mode="serialization")
    props = dict(envelope["properties"])
    props["type"] = {"const": event_type, "type": "string", "title": "Type"}
    props["subject"] = {**props["subject"], "description": f"the event key: data.{model.key_field}"}
    props["schemaversion"] = {"const": model.schema_version, "type": "integer"}
    props["data"] = data_schema
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://egov.example.gov.cn/schemas/{event_type}.json",
        "title": event_type,
        "description": (model.summary or model.__doc__ or "").strip(),
        "type": "object",
        "properties": props,
        "required": [*ENVELOPE_FIELDS, "data"],
        "x-topic": model.topic,
        "x-key": model.key_field,
    }
    if defs:
        schema["$defs"] = defs
    from shared.contracts.examples import EXAMPLES, example_envelope

    if event_type in EXAMPLES:
        example = example_envelope(event_type, id="example-1")
        schema["examples"] = [json.loads(example.to_json_bytes())]
    return schema


HEADERS_SCHEMA = "CloudEventsStructuredModeHeaders"


def message_headers_schema() -> dict[str, Any]:
    """The Kafka headers of every event: structured content mode, and no ``ce_`` header."""
    headers = dict(kafka_headers())
    return {
        "type": "object",
        "description": (
            "CloudEvents Kafka protocol binding, structured content mode: the whole event is the "
            "JSON value and content-type names the event format. No ce_ header: a reader would "
            "take the message for binary mode and look for every attribute in the headers."
        ),
        "properties": {
            "content-type": {
                "type": "string",
                "pattern": r"^application/cloudevents\+json(;.*)?$",
                "examples": [headers["content-type"].decode()],
            }
        },
        "required": sorted(headers),
        "propertyNames": {"not": {"pattern": "^ce_"}},
    }


def _ref_id(event_type: str) -> str:
    """An event type as a component or message id (AsyncAPI ids take no dots)."""
    return event_type.replace(".", "_")


def _channel(name: str, spec: TopicSpec, types: list[str]) -> dict[str, Any]:
    """One topic as an AsyncAPI channel with its Kafka binding and who produces and consumes it."""
    return {
        "address": name,
        "description": spec.description,
        "messages": {_ref_id(t): {"$ref": f"#/components/messages/{_ref_id(t)}"} for t in types},
        "bindings": {
            "kafka": {
                "partitions": spec.partitions,
                "topicConfiguration": {
                    "retention.ms": spec.retention_ms,
                    "cleanup.policy": [spec.cleanup_policy],
                },
                "bindingVersion": "0.5.0",
            }
        },
        "x-producers": list(spec.producers),
        "x-consumers": list(spec.consumers),
    }


def _publish_operation(channel_id: str, spec: TopicSpec, types: list[str]) -> dict[str, Any]:
    return {
        "action": "send",
        "channel": {"$ref": f"#/channels/{channel_id}"},
        "summary": f"produced by {', '.join(spec.producers) or 'nobody'}",
        "messages": [{"$ref": f"#/channels/{channel_id}/messages/{_ref_id(t)}"} for t in types],
    }


def _message(event_type: str) -> dict[str, Any]:
    model = EVENT_TYPES[event_type]
    return {
        "name": event_type,
        "title": event_type,
        "summary": model.summary,
        "contentType": "application/cloudevents+json",
        "headers": {"$ref": f"#/components/schemas/{HEADERS_SCHEMA}"},
        "payload": {"$ref": f"schemas/{event_type}.json"},
        "bindings": {"kafka": {"key": {"type": "string", "description": model.key_field}}},
    }


ASYNCAPI_INFO = {
    "title": "egov platform events",
    "version": "1.0.0",
    "description": (
        "CloudEvents 1.0 exchanged by the integrated online government services platform, "
        "in the structured content mode of the CloudEvents Kafka protocol binding: the "
        "whole event is the JSON value, the header content-type names the event format "
        "and no ce_ header is set. Every message is keyed by its CloudEvent subject."
    ),
}


def asyncapi_document() -> dict[str, Any]:
    """Every topic as a channel, its types as messages, and one send operation per used topic."""
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for name, spec in sorted(TOPICS.items()):
        types = sorted(t for t, cls in EVENT_TYPES.items() if cls.topic == name)
        channel_id = _ref_id(name)
        channels[channel_id] = _channel(name, spec, types)
        if types:
            operations[f"publish_{channel_id}"] = _publish_operation(channel_id, spec, types)
        messages.update({_ref_id(t): _message(t) for t in types})
    return {
        "asyncapi": "3.0.0",
        "info": ASYNCAPI_INFO,
        "defaultContentType": "application/cloudevents+json",
        "channels": channels,
        "operations": operations,
        "components": {
            "messages": messages,
            "schemas": {HEADERS_SCHEMA: message_headers_schema()},
        },
    }


def render_all() -> dict[str, str]:
    """Relative path -> file content for the whole export (deterministic)."""
    files = {
        f"schemas/{t}.json": json.dumps(
            event_schema(t), indent=2, ensure_ascii=False, sort_keys=True
        )
        + "\n"
        for t in sorted(EVENT_TYPES)
    }
    files["asyncapi.json"] = (
        json.dumps(asyncapi_document(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    )
    files["flow.md"] = flow_markdown()
    return files


def export(directory: Path) -> list[Path]:
    written = []
    for rel, content in render_all().items():
        path = directory / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
        written.append(path)
    return written
