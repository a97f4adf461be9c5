"""Outside systems that publish into the platform, and how they prove who they are.

Each registered publisher writes one topic of its own, `egov.ingress.<id>`, and nothing else:
its Kafka principal (`egov-<id>`) has Write on that topic alone (shared/contracts/access.py), so
an event read from an ingress topic comes from that publisher, whatever it says. The consumer
then binds the rest to it (shared/kafka/consumer.py): the event's type must be one the
publisher may send (`may_arrive_on`), its CloudEvents `source` must be the publisher's
registered source (else the dead-letter reason `forged_source`), and what the platform records
as the originating system is the registered name, never a value in the payload. Duplicate
detection keys on that authenticated source. docs/integrators.md is the integrators' guide.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.contracts import events as ev

INGRESS_PREFIX = "egov.ingress."


@dataclass(frozen=True)
class Publisher:
    id: str  # also the Kafka principal's suffix (egov-<id>) and the ingress topic's
    name: str  # what records and notices show as the originating system
    event_types: tuple[str, ...]  # what it may publish

    @property
    def topic(self) -> str:
        return f"{INGRESS_PREFIX}{self.id}"

    @property
    def source(self) -> str:
        """The CloudEvents `source` its events must carry."""
        return f"/external/{self.id}"


SUBMISSION = ev.CaseSubmissionReceived.event_type
BUNDLE_SUBMISSION = ev.BundleSubmissionReceived.event_type
INCIDENT = ev.CreditIncident.event_type

PUBLISHERS: dict[str, Publisher] = {
    p.id: p
    for p in (
        Publisher(
            "cq-mobile-app",
            "渝快办 (Chongqing government app)",
            (SUBMISSION, BUNDLE_SUBMISSION),
        ),
        Publisher(
            "cq-bank-terminal", "银行网点政务自助终端 (bank-branch terminals)", (SUBMISSION,)
        ),
        Publisher(
            "sc-tianfu-hall",
            "四川省一体化政务服务平台 (跨省通办, Sichuan)",
            (SUBMISSION, BUNDLE_SUBMISSION),
        ),
        Publisher("cq-intermediate-court", "重庆市第一中级人民法院", (INCIDENT,)),
        Publisher("cq-tax", "国家税务总局重庆市税务局", (INCIDENT,)),
    )
}


def publisher_of_topic(topic: str) -> Publisher | None:
    """The publisher whose ingress topic this is; None for the platform's own topics."""
    if not topic.startswith(INGRESS_PREFIX):
        return None
    return PUBLISHERS.get(topic.removeprefix(INGRESS_PREFIX))


def publisher_of_source(source: str) -> Publisher | None:
    """The registered publisher an (authenticated) source belongs to."""
    return next((p for p in PUBLISHERS.values() if p.source == source), None)


def forged_source_error(source: str, topic: str) -> str | None:
    """Why an event read from `topic` may not claim `source`; None when it may (or the topic is
    one of the platform's own, written only by its services)."""
    publisher = publisher_of_topic(topic)
    if publisher is None or source == publisher.source:
        return None
    return f"source {source!r} on {topic}: {publisher.id} publishes as {publisher.source!r}"


def originating_system(source: str, claimed: str) -> str:
    """The system an event is recorded as coming from: a registered publisher's id when the
    (authenticated) source is one, whatever the payload claims; else the claim of the
    platform's own service or adapter that wrote it."""
    publisher = publisher_of_source(source)
    return publisher.id if publisher is not None else claimed
