"""Create every registry topic with its partition count; idempotent."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from shared.contracts import TOPICS, TopicSpec
from shared.kafka.client import connection_kwargs
from shared.settings import ServiceSettings

log = logging.getLogger(__name__)
SETTLE_S = 15.0  # how long a just-created topic may take to show its partitions in metadata


@dataclass
class EnsureResult:
    created: list[str]
    existing: list[str]
    mismatched: list[str]  # existing topics whose partition count differs from the registry


async def ensure_topics(
    settings: ServiceSettings, specs: list[TopicSpec] | None = None, *, with_config: bool = True
) -> EnsureResult:
    specs = specs if specs is not None else list(TOPICS.values())
    admin = AIOKafkaAdminClient(**connection_kwargs(settings))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        result = EnsureResult([], [], [])
        for spec in specs:
            if spec.name in existing:
                result.existing.append(spec.name)
                continue
            new = NewTopic(
                spec.name,
                num_partitions=spec.partitions,
                replication_factor=settings.kafka_replication_factor,
                topic_configs=spec.topic_config() if with_config else {},
            )
            try:
                resp = await admin.create_topics([new])
            except TopicAlreadyExistsError:
                result.existing.append(spec.name)
                continue
            errors = [e for e in getattr(resp, "topic_errors", []) if e[1] not in (0, 36)]
            if errors and with_config:
                # Some brokers refuse configs they do not know; the partition count is what matters.
                # (Tansu-era fallback: Apache Kafka knows every config the registry sets.)
                log.warning(
                    "create %s with config failed (%s); retrying without", spec.name, errors
                )
                resp = await admin.create_topics(
                    [NewTopic(spec.name, spec.partitions, settings.kafka_replication_factor)]
                )
                errors = [e for e in getattr(resp, "topic_errors", []) if e[1] not in (0, 36)]
            if errors:
                raise RuntimeError(f"could not create topic {spec.name}: {errors}")
            result.created.append(spec.name)
        counts = await _partition_counts(admin, [s.name for s in specs])
        for spec in specs:
            if counts.get(spec.name) not in (None, spec.partitions):
                result.mismatched.append(f"{spec.name}: {counts[spec.name]} != {spec.partitions}")
        return result
    finally:
        await admin.close()


async def _partition_counts(admin: AIOKafkaAdminClient, names: list[str]) -> dict[str, int]:
    """Partition counts by topic. Apache Kafka answers a describe right after a create with no
    partitions (or an unknown topic) until the metadata has propagated: ask again until every
    topic shows its partitions, or SETTLE_S has passed."""
    deadline = time.monotonic() + SETTLE_S
    while True:
        described = await admin.describe_topics(names)
        counts = {d["topic"]: len(d["partitions"]) for d in described if not d["error_code"]}
        if all(counts.get(name) for name in names) or time.monotonic() > deadline:
            return counts
        await asyncio.sleep(0.2)
