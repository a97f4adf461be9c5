"""The contracts registry: event type -> payload model, topic, key; topic -> partitions, retention.

Topic creation (`egov topics ensure`), the JSON Schema / AsyncAPI export and the Strimzi
KafkaTopic manifests are all generated from this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from shared.contracts import events as ev
from shared.contracts import owed_events  # noqa: F401 - registers its event types
from shared.contracts.catalog import T_CATALOG
from shared.contracts.envelope import Envelope, EventData
from shared.contracts.publishers import PUBLISHERS, publisher_of_topic

DEAD_LETTER_TOPIC = "egov.deadletter"
MONITOR_TIMERS_TOPIC = "egov.monitor.timers"
DAY_MS = 86_400_000
# What the broker accepts on every topic: twice the consumers' default limit
# (EGOV_KAFKA_MAX_MESSAGE_BYTES, 1 MiB). An oversized message then reaches its consumers and is
# dead-lettered with its reason (too_large, original bytes kept, which the dead-letter topic must
# hold too) instead of being refused to its publisher with no trace on the bus; the platform's
# producers and fetchers are sized to match (shared/kafka/producer.py, consumer.py).
BROKER_MAX_MESSAGE_BYTES = 2 * 1_048_576


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    key: str
    description: str
    retention_ms: int = 14 * DAY_MS
    cleanup_policy: str = "delete"
    internal: bool = False
    producers: tuple[str, ...] = ()
    consumers: tuple[str, ...] = ()
    config: dict[str, str] = field(default_factory=dict)

    def topic_config(self) -> dict[str, str]:
        return {
            "retention.ms": str(self.retention_ms),
            "cleanup.policy": self.cleanup_policy,
            "max.message.bytes": str(BROKER_MAX_MESSAGE_BYTES),
            **self.config,
        }


CASE_PARTITIONS = 6

TOPICS: dict[str, TopicSpec] = {
    t.name: t
    for t in (
        TopicSpec(
            ev.T_INTAKE_IN,
            CASE_PARTITIONS,
            "external_id",
            "case submissions of the platform's own channel adapters; outside systems (bank "
            "terminals, other regions) publish on their ingress topics (egov.ingress.<id>)",
            consumers=("intake",),
        ),
        TopicSpec(
            ev.T_CASES,
            CASE_PARTITIONS,
            "case_id",
            "case lifecycle: submitted, supplemented, ratings, rectifications (intake); the "
            "sealed archive (approval)",
            retention_ms=30 * DAY_MS,
            producers=("intake", "approval"),
            consumers=("approval", "monitor", "notify"),
        ),
        TopicSpec(
            ev.T_STAGES,
            CASE_PARTITIONS,
            "case_id",
            "stage clocks and decisions: pre-review, stages, sub-tasks, suspensions, decisions",
            retention_ms=30 * DAY_MS,
            producers=("approval", "credit", "intake", "monitor"),  # monitor: register answers
            consumers=("monitor", "notify", "intake"),
        ),
        TopicSpec(
            ev.T_SUPERVISION,
            CASE_PARTITIONS,
            "case_id",
            "lights, escalations and findings of electronic supervision",
            retention_ms=90 * DAY_MS,
            producers=("monitor",),
            consumers=("notify", "monitor"),  # the monitor's register follows its findings
        ),
        TopicSpec(
            ev.T_CREDIT_INCIDENTS,
            CASE_PARTITIONS,
            "subject_id",
            "credit incidents from the monitor and approval; courts and tax publish on their "
            "ingress topics (egov.ingress.<id>)",
            retention_ms=90 * DAY_MS,
            producers=("monitor", "approval"),
            consumers=("credit",),
        ),
        TopicSpec(
            ev.T_CREDIT_CHANGES,
            CASE_PARTITIONS,
            "subject_id",
            "credit level and list changes",
            retention_ms=90 * DAY_MS,
            producers=("credit",),
            consumers=("notify", "intake"),
        ),
        TopicSpec(
            ev.T_LICENCES,
            CASE_PARTITIONS,
            "case_id",
            "e-licences issued into and revoked in intake's registry (电子证照), for the "
            "systems that hold or check licences; kept for the deployment's life",
            retention_ms=-1,
            producers=("intake",),
            consumers=("approval",),  # the licence's PDF joins the case's sealed dossier
        ),
        TopicSpec(
            ev.T_NOTIFICATIONS,
            CASE_PARTITIONS,
            "notification_id",
            "notification outcomes",
            producers=("notify",),
            consumers=(),
        ),
        TopicSpec(
            ev.T_CALENDAR,
            1,
            "year",
            "official holiday schedules published at run time; compacted, read whole by every "
            "process of every service",
            retention_ms=-1,
            cleanup_policy="compact",
            producers=("operator",),
            consumers=("intake", "approval", "monitor", "notify", "credit"),
        ),
        TopicSpec(
            T_CATALOG,
            1,
            "item_code",
            "the service catalog, each item's latest definition (intake); compacted, read whole "
            "by the monitor's history (share of items fully online and zero-visit)",
            retention_ms=-1,
            cleanup_policy="compact",
            producers=("intake",),
            consumers=("monitor",),
        ),
        TopicSpec(
            ev.T_AUDIT_CHECKPOINTS,
            CASE_PARTITIONS,
            "chain_id",
            "signed heads of the audit chains, one each time a head moves; kept for the "
            "deployment's life (never compacted: each checkpoint vouches for the chain up to it), "
            "read by `egov audit verify --bus`",
            retention_ms=-1,
            # internal: the operator reads it but, unlike the topics dead letters go back to,
            # may not write it; the services that keep chains are its only writers
            internal=True,
            producers=("approval", "credit", "intake", "notify"),
            consumers=("operator",),
        ),
        TopicSpec(
            DEAD_LETTER_TOPIC,
            3,
            "original key",
            "messages a consumer could not handle: original bytes, reason in headers",
            retention_ms=30 * DAY_MS,
            internal=True,
            producers=("intake", "approval", "monitor", "notify", "credit"),
        ),
        TopicSpec(
            MONITOR_TIMERS_TOPIC,
            CASE_PARTITIONS,
            "case_id",
            "the monitor's due timers, routed to the worker that owns the case's partition",
            retention_ms=7 * DAY_MS,
            internal=True,
            producers=("monitor",),
            consumers=("monitor",),
        ),
    )
}


def _ingress_topics() -> list[TopicSpec]:
    """One topic per registered outside publisher: only it may write there (its ACL)."""
    specs = []
    for pub in PUBLISHERS.values():
        homes = [TOPICS[EVENT_TYPES[t].topic] for t in pub.event_types]
        specs.append(
            TopicSpec(
                pub.topic,
                CASE_PARTITIONS,
                EVENT_TYPES[pub.event_types[0]].key_field,
                f"ingress of {pub.name}: {', '.join(pub.event_types)}",
                retention_ms=max(h.retention_ms for h in homes),
                producers=(pub.id,),
                consumers=tuple(sorted({c for h in homes for c in h.consumers})),
            )
        )
    return specs


def _all_event_classes() -> list[type[EventData]]:
    found: list[type[EventData]] = []
    stack: list[type[EventData]] = list(EventData.__subclasses__())
    while stack:
        cls = stack.pop(0)
        stack.extend(cls.__subclasses__())
        if "event_type" in cls.__dict__:
            found.append(cls)
    return found


EVENT_TYPES: dict[str, type[EventData]] = {cls.event_type: cls for cls in _all_event_classes()}
TOPICS.update({spec.name: spec for spec in _ingress_topics()})


def register_topic(spec: TopicSpec) -> None:
    """Services add their internal topics (for example the monitor's timer topic) here."""
    TOPICS[spec.name] = spec


def model_for(event_type: str) -> type[EventData]:
    try:
        return EVENT_TYPES[event_type]
    except KeyError:
        raise UnknownEventType(event_type) from None


def topic_for(event_type: str) -> str:
    return model_for(event_type).topic


def topics_consumed_by(service: str) -> tuple[str, ...]:
    """The topics a service's consumers subscribe to (also what its Kafka grants let it read);
    the calendar topic is read by every process through its own groupless feed."""
    return tuple(
        t.name for t in TOPICS.values() if service in t.consumers and t.name != ev.T_CALENDAR
    )


def _carries(topic: str, event_type: str) -> bool:
    """Whether ``topic`` is a home of ``event_type``: its own topic, or the ingress topic of an
    outside publisher registered for it."""
    if model_for(event_type).topic == topic:
        return True
    publisher = publisher_of_topic(topic)
    return publisher is not None and event_type in publisher.event_types


def types_on_topic(topic: str) -> list[str]:
    """The types a topic carries: those whose home it is, or an outside publisher's types."""
    return sorted(t for t in EVENT_TYPES if _carries(topic, t))


def may_arrive_on(event_type: str, topic: str) -> bool:
    """Whether an event of ``event_type`` may arrive on ``topic``: the one rule binding types to
    topics, which every consumer applies before routing by type.

    Consumers pick the handler from the envelope's type alone, so without it a type published on
    a topic it does not belong to would be acted on: a ``case.decided`` published by an external
    system on its ingress topic (which it may write) would mark a case decided. Each type has one
    home topic, and an outside publisher's ingress topic carries the types registered for it
    (shared/contracts/publishers.py); a replay goes back to the topic the event first arrived on.
    Only the dead-letter topic carries every type (original bytes, read by operators, never
    routed).
    Raises UnknownEventType for an unregistered type.
    """
    return _carries(topic, event_type) or topic == DEAD_LETTER_TOPIC  # _carries raises first


def wrong_topic_error(event_type: str, topic: str) -> str:
    """The dead-letter error of an event that may not arrive on ``topic``."""
    return f"{event_type} belongs on {topic_for(event_type)}, not on {topic}"


def parse_data(envelope: Envelope) -> EventData:
    """Validate ``envelope.data`` against the model of its type (raises ValidationError)."""
    return model_for(envelope.type).model_validate(envelope.data)


class UnknownEventType(KeyError):
    def __init__(self, event_type: str) -> None:
        super().__init__(event_type)
        self.event_type = event_type

    def __str__(self) -> str:
        return f"unknown event type {self.event_type!r}"


def _check_registry() -> None:
    for t, cls in EVENT_TYPES.items():
        if cls.topic not in TOPICS:
            raise RuntimeError(f"{t} maps to unregistered topic {cls.topic}")
        if cls.key_field not in cls.model_fields:
            raise RuntimeError(f"{t} key field {cls.key_field} is not a field")


_check_registry()
