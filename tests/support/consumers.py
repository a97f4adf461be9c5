"""A service's consumer as ``Infrastructure.add_consumer`` builds it (its topics, its handler
table), over an in-memory dead-letter sink and dedupe: for unit tests of what reaches a handler."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shared.clock import FixedClock
from shared.contracts import EVENT_TYPES, Envelope, may_arrive_on, topic_for
from shared.contracts.examples import example_envelope
from shared.contracts.publishers import publisher_of_topic
from shared.kafka import EventConsumer, Handler, InMemoryDedupe, read_dead_letter_headers
from shared.settings import ServiceSettings


@dataclass
class Delivery:
    topic: str
    value: bytes
    key: bytes | None = b"k"
    partition: int = 0
    offset: int = 0
    headers: Sequence[tuple[str, bytes]] = ()


@dataclass
class DeadLetterSink:
    letters: list[dict[str, str]] = field(default_factory=list)

    async def send_raw(
        self, topic: str, key: bytes | None, value: bytes, headers: Sequence[tuple[str, bytes]] = ()
    ) -> None:
        self.letters.append(read_dead_letter_headers(list(headers)))


class WiredConsumer:
    """The shared consumer over a service's real topics and handlers; each call of a handler is
    recorded (event type, topic it came on) before the service's own handler runs."""

    def __init__(
        self, topics: Sequence[str], handlers: Mapping[str, Handler], *, now: datetime
    ) -> None:
        self.topics = tuple(topics)
        self.sink = DeadLetterSink()
        self.calls: list[tuple[str, str]] = []
        self._topic = ""
        self.consumer = EventConsumer(
            settings=ServiceSettings(
                service_name="unit", consumer_max_retries=1, consumer_retry_backoff_s=0
            ),
            group_id="unit",
            topics=topics,
            handlers={t: self._recorded(t, h) for t, h in handlers.items()},
            sender=self.sink,
            dedupe=InMemoryDedupe(),
            clock=FixedClock(now),
        )

    def _recorded(self, event_type: str, handler: Handler) -> Handler:
        async def call(envelope: Envelope, data: Any) -> None:
            self.calls.append((event_type, self._topic))
            await handler(envelope, data)

        return call

    async def deliver(self, envelope: Envelope, topic: str) -> str:
        self._topic = topic
        return await self.consumer.process(Delivery(topic, envelope.to_json_bytes()))

    def reasons(self) -> list[str]:
        return [letter["dlq.reason"] for letter in self.sink.letters]


async def binding_faults(wired: WiredConsumer) -> list[str]:
    """Every registered type delivered on every topic the service consumes: what broke the
    binding (a type of another topic reaching a handler or not dead-lettered as `wrong_topic`; a
    handled type refused on, or never reaching its handler from, its own topic; a handled type
    whose topic the service does not consume). Empty when the service binds types to topics."""
    handled = set(wired.consumer.handlers)
    faults = [
        f"{t} is handled but its topic {topic_for(t)} is not consumed"
        for t in sorted(handled)
        if topic_for(t) not in wired.topics
    ]
    for topic in wired.topics:
        for event_type in sorted(EVENT_TYPES):
            calls, letters = len(wired.calls), len(wired.sink.letters)
            envelope = example_envelope(event_type, id=f"{topic}|{event_type}")
            publisher = publisher_of_topic(topic)
            if publisher is not None:  # an ingress event as its publisher sends it
                envelope = envelope.model_copy(update={"source": publisher.source})
            outcome = await wired.deliver(envelope, topic)
            reached = len(wired.calls) > calls
            reasons = [x["dlq.reason"] for x in wired.sink.letters[letters:]]
            if not may_arrive_on(event_type, topic):
                if reached or reasons != ["wrong_topic"]:
                    faults.append(f"{event_type} on {topic}: {outcome} {reasons}")
            elif "wrong_topic" in reasons:
                faults.append(f"{event_type} refused on its own topic {topic}")
            elif event_type in handled and not reached:
                faults.append(f"{event_type} on its own topic {topic} never reached its handler")
    return faults
