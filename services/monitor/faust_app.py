"""The monitor's faust app as configured from its settings, its producer-side publisher, and
the broker's arrival time of a message on the service's clock."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import faust

from services.monitor import state_store
from services.monitor.settings import MonitorSettings
from services.monitor.transport import MonitorApp
from shared.clock import Clock, SimulatedClock
from shared.contracts import Envelope, kafka_headers, topic_for
from shared.contracts.registry import TopicSpec
from shared.kafka.admin import ensure_topics
from shared.observability.metrics import EVENTS_PRODUCED

log = logging.getLogger(__name__)


def broker_url(bootstrap: str) -> str:
    return ";".join(f"kafka://{h.strip()}" for h in bootstrap.split(",") if h.strip())


def arrival_instant(clock: Clock, broker_ts: float | None) -> datetime:
    """The broker's timestamp of a message on the service's clock (simulated if accelerated)."""
    if broker_ts is None or broker_ts <= 0:
        return clock.now()
    real = datetime.fromtimestamp(broker_ts, UTC)
    if isinstance(clock, SimulatedClock):
        return clock.sim_origin + (real - clock.real_epoch) * clock.speed
    return real


class FaustPublisher:
    """Publishes through the faust producer (acks=all) and waits for every acknowledgement."""

    def __init__(self, app: faust.App, service: str) -> None:
        self.app = app
        self.service = service
        # A burst publishes thousands of events of a few types: look each counter up once.
        self._produced: dict[str, Any] = {}

    def _counter(self, event_type: str) -> Any:
        counter = self._produced.get(event_type)
        if counter is None:
            counter = self._produced[event_type] = EVENTS_PRODUCED.labels(self.service, event_type)
        return counter

    async def publish(self, envelopes: Sequence[Envelope]) -> None:
        headers = kafka_headers()
        pending = []
        for env in envelopes:
            pending.append(
                await self.app.producer.send(
                    topic_for(env.type),
                    env.subject.encode(),
                    env.to_json_bytes(),
                    None,
                    None,
                    headers,
                )
            )
        for fut, env in zip(pending, envelopes, strict=True):
            await fut
            self._counter(env.type).inc()


def build_app(settings: MonitorSettings) -> MonitorApp:
    """The faust app: acks=all, sizes that let an oversized message reach the dead-letter
    topic, and group timeouts short enough for a killed worker's partitions to move soon."""
    return MonitorApp(
        settings.monitor_app_id,
        settings=settings,
        broker=broker_url(settings.kafka_bootstrap),
        store=f"{state_store.SCHEME}://" if settings.monitor_store == "rocksdb" else "memory://",
        datadir=settings.monitor_data_dir or state_store.scratch_dir(settings.monitor_app_id),
        web_enabled=False,
        autodiscover=False,
        topic_partitions=6,
        producer_acks=-1,
        # A dead letter carries the original bytes plus headers, so the producer must accept
        # twice the largest message we consume; fetch as much so an oversized message reaches
        # the size check (and the dead-letter topic) instead of stalling its partition.
        producer_max_request_size=max(settings.kafka_max_message_bytes * 2, 1_048_576),
        consumer_max_fetch_size=max(settings.kafka_max_message_bytes * 2, 1_048_576),
        # faust's own changelog and repartition topics follow the cluster's replication.
        topic_replication_factor=settings.kafka_replication_factor,
        consumer_auto_offset_reset=settings.monitor_offset_reset,
        broker_commit_interval=1.0,
        processing_guarantee=settings.monitor_processing_guarantee,
        stream_wait_empty=False,
        table_standby_replicas=settings.monitor_standby_replicas,
        # Short group timeouts: a killed worker's partitions move within seconds, and a
        # broker that waits half the session for members to join answers sooner.
        broker_session_timeout=settings.monitor_session_timeout_s,
        broker_rebalance_timeout=settings.monitor_session_timeout_s,
        broker_heartbeat_interval=max(1.0, settings.monitor_session_timeout_s / 5),
    )


def changelog_specs(tables: Sequence[Any]) -> list[TopicSpec]:
    """The tables' changelog topics as faust names and shapes them: compacted, one partition
    per partition of the source topics, written and read by the monitor only."""
    return [
        TopicSpec(
            t.changelog_topic.get_topic_name(),
            t.partitions,
            "the table's key (a case id)",
            f"changelog of the monitor's {t.name} table (faust)",
            retention_ms=-1,
            cleanup_policy="compact",
            internal=True,
            producers=("monitor",),
            consumers=("monitor",),
        )
        for t in tables
    ]


async def prepare_changelogs(settings: MonitorSettings, tables: Sequence[Any]) -> None:
    """Create the changelog topics before the worker joins its group. Faust creates them too,
    but at its first assignment: a topic created then was once not yet in the metadata the
    assignor read ("Ignoring missing topic"), so that table had no changelog partition and
    every write to it failed until the next rebalance. Best effort: when the broker cannot be
    reached now, faust creates them as before."""
    try:
        await ensure_topics(settings, changelog_specs(tables))
    except Exception as exc:  # noqa: BLE001 - faust's own creation remains the fallback
        log.warning("changelog topics not prepared (%s); faust creates them", exc)
