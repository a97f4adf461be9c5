"""Producer identity and least privilege on the test broker: every service connects as its own
principal and the broker enforces the grants derived from the registry (shared/contracts/access.py).
Each refusal is the broker's own authorization error, not something our code decides."""

from __future__ import annotations

import os

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import (
    GroupAuthorizationFailedError,
    KafkaConnectionError,
    TopicAuthorizationFailedError,
)
from pydantic import SecretStr

from dev import kafka_security
from shared.contracts import (
    T_CALENDAR,
    T_CASES,
    T_CATALOG,
    T_CREDIT_CHANGES,
    T_CREDIT_INCIDENTS,
    T_INTAKE_IN,
    T_STAGES,
)
from shared.contracts.access import principal
from shared.contracts.publishers import PUBLISHERS
from shared.kafka.client import connection_kwargs
from shared.settings import ServiceSettings

pytestmark = pytest.mark.integration


def identity(service: str) -> ServiceSettings:
    identities = kafka_security.party_identities(os.environ)
    if not identities:
        pytest.skip("the broker has no identities (Tansu); `make test` runs Apache Kafka")
    env = identities[service]
    return ServiceSettings(
        service_name=service,
        kafka_bootstrap=env["EGOV_KAFKA_BOOTSTRAP"],
        kafka_security_protocol=env["EGOV_KAFKA_SECURITY_PROTOCOL"],
        kafka_sasl_mechanism=env["EGOV_KAFKA_SASL_MECHANISM"],
        kafka_sasl_username=env["EGOV_KAFKA_SASL_USERNAME"],
        kafka_sasl_password=env["EGOV_KAFKA_SASL_PASSWORD"],
    )


async def send(settings: ServiceSettings, topic: str) -> None:
    producer = AIOKafkaProducer(**connection_kwargs(settings), enable_idempotence=True)
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"{}", key=b"identity-test")
    finally:
        await producer.stop()


async def test_a_service_writes_the_topics_it_owns(kafka_bootstrap: str) -> None:
    await send(identity("intake"), T_CASES)
    await send(identity("intake"), T_CATALOG)  # the catalog on the bus (its readers skip {})
    await send(identity("approval"), T_STAGES)


@pytest.mark.parametrize(
    ("service", "topic"),
    [
        ("intake", T_CALENDAR),  # only the operator publishes holiday schedules
        ("approval", T_CREDIT_CHANGES),  # credit owns credit changes
        ("notify", T_CREDIT_CHANGES),  # credit owns credit changes
        ("credit", T_INTAKE_IN),  # only outside systems submit there
        ("monitor", T_CATALOG),  # the monitor reads the catalog; intake alone publishes it
    ],
)
async def test_the_broker_refuses_a_write_outside_the_grants(
    kafka_bootstrap: str, service: str, topic: str
) -> None:
    with pytest.raises(TopicAuthorizationFailedError):
        await send(identity(service), topic)


async def test_an_outside_publisher_writes_its_ingress_topic_and_nothing_else(
    kafka_bootstrap: str,
) -> None:
    court, tax = PUBLISHERS["cq-intermediate-court"], PUBLISHERS["cq-tax"]
    await send(identity(court.id), court.topic)
    for topic in (T_CREDIT_INCIDENTS, tax.topic, T_INTAKE_IN):
        with pytest.raises(TopicAuthorizationFailedError):
            await send(identity(court.id), topic)


async def test_a_service_reads_only_what_it_consumes(kafka_bootstrap: str) -> None:
    settings = identity("notify")
    consumer = AIOKafkaConsumer(
        T_INTAKE_IN,
        **connection_kwargs(settings),
        group_id=f"{principal('notify')}-identity-test",
        auto_offset_reset="earliest",
    )
    try:
        with pytest.raises(TopicAuthorizationFailedError):
            await consumer.start()
            await consumer.getmany(timeout_ms=5000)
    finally:
        await consumer.stop()


async def test_a_service_joins_only_its_own_groups(kafka_bootstrap: str) -> None:
    consumer = AIOKafkaConsumer(
        T_STAGES, **connection_kwargs(identity("notify")), group_id="egov-intake"
    )
    try:
        with pytest.raises(GroupAuthorizationFailedError):
            await consumer.start()
            await consumer.getmany(timeout_ms=5000)
    finally:
        await consumer.stop()


async def test_a_wrong_password_is_refused(kafka_bootstrap: str) -> None:
    settings = identity("intake").model_copy(update={"kafka_sasl_password": SecretStr("guessed")})
    producer = AIOKafkaProducer(**connection_kwargs(settings), request_timeout_ms=5000)
    try:
        with pytest.raises(KafkaConnectionError):
            await producer.start()
    finally:
        await producer.stop()
