"""Event contracts, defined once. Import event models from here."""

from shared.contracts import catalog, common, events, owed
from shared.contracts.catalog import *  # noqa: F403
from shared.contracts.common import *  # noqa: F403
from shared.contracts.envelope import (
    CONTENT_TYPE,
    Envelope,
    EventData,
    derived_event_id,
    kafka_headers,
    make_envelope,
    new_event_id,
    use_event_id_key,
)
from shared.contracts.events import *  # noqa: F403
from shared.contracts.owed import *  # noqa: F403
from shared.contracts.owed_events import OwedMaterialsSupplied
from shared.contracts.registry import (
    DEAD_LETTER_TOPIC,
    EVENT_TYPES,
    TOPICS,
    TopicSpec,
    UnknownEventType,
    may_arrive_on,
    model_for,
    parse_data,
    register_topic,
    topic_for,
    types_on_topic,
    wrong_topic_error,
)

__all__ = [
    "CONTENT_TYPE",
    "DEAD_LETTER_TOPIC",
    "EVENT_TYPES",
    "TOPICS",
    "Envelope",
    "EventData",
    "OwedMaterialsSupplied",
    "TopicSpec",
    "UnknownEventType",
    "derived_event_id",
    "kafka_headers",
    "make_envelope",
    "may_arrive_on",
    "model_for",
    "new_event_id",
    "parse_data",
    "register_topic",
    "topic_for",
    "types_on_topic",
    "use_event_id_key",
    "wrong_topic_error",
]
__all__ += events.__all__ + common.__all__ + owed.__all__ + catalog.__all__
