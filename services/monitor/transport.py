"""The faust app of the monitor, on a transport whose recovery high-water marks are verified.

faust rebuilds a table after a restart or rebalance by reading its changelog up to the end offset
the broker reports, then stops reading it. If that offset is stale, the newest table changes are
silently left out: a stage closed just before a crash comes back open and later fires `stage
overdue` (found by the chaos run on Tansu, whose end offset lags behind batched produces, see
`shared/kafka/offsets.py`). This transport reads forward from the reported offsets before faust
uses them, so recovery always reaches the real end of the changelog. On a correct broker this
costs one empty fetch per recovery.

Its producer's flush waits for every buffered table change. faust commits the source offsets
after `producer.flush()`, but faust 0.15.3's buffer flush gives up after 0.1 s without progress
and returns with changelog writes still queued; under load (the broker slow to take a batch) an
offset was committed for a message whose table change never reached the changelog, and a SIGKILL
then lost that stage for good (seen once in the 100,000-stage recovery benchmark).

It also passes the platform's Kafka security settings (SASL / TLS) to faust.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import faust
from aiokafka import TopicPartition
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP

from shared.kafka.client import connection_kwargs, secret, ssl_context
from shared.kafka.offsets import verified_end_offsets
from shared.settings import ServiceSettings

log = logging.getLogger(__name__)


class VerifiedConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    async def _highwaters(self, partitions: list[TP]) -> Mapping[TP, int]:
        settings: ServiceSettings = self.app.egov_settings  # type: ignore[attr-defined]
        wanted = [TopicPartition(tp.topic, tp.partition) for tp in partitions]
        ends = await verified_end_offsets(wanted, connection_kwargs(settings))
        return {TP(tp.topic, tp.partition): end for tp, end in ends.items()}


class VerifiedConsumer(faust_aiokafka.Consumer):
    def _new_consumer_thread(self) -> faust_aiokafka.AIOKafkaConsumerThread:
        return VerifiedConsumerThread(self, loop=self.loop, beacon=self.beacon)

    async def seek_wait(self, partitions: Mapping[TP, int]) -> None:
        """Seek, reading a changelog from its start where faust asks for a negative offset.

        faust's recovery seeks to "last offset read" and maps -1 (nothing read) to 0, but after
        a rebalance it has asked for -2 for a standby changelog partition, which aiokafka refuses
        with ValueError and which crashed the worker (seen once in the two-worker SIGKILL test).
        """
        clamped = {tp: max(0, offset) for tp, offset in partitions.items()}
        if clamped != dict(partitions):
            log.warning("seek to a negative offset replaced by 0: %s", dict(partitions))
        await super().seek_wait(clamped)


class DurableFlushProducer(faust_aiokafka.Producer):
    async def flush(self) -> None:
        """Return only when every buffered message has been handed over and acknowledged."""
        while self.buffer.size:
            await self.buffer.flush()  # returns early when nothing moved for 0.1 s; go again
        await super().flush()


class VerifiedTransport(faust_aiokafka.Transport):
    Consumer = VerifiedConsumer
    Producer = DurableFlushProducer


class MonitorApp(faust.App):
    """faust.App with the verified transport and the service settings at hand."""

    def __init__(self, app_id: str, *, settings: ServiceSettings, **options: Any) -> None:
        self.egov_settings = settings
        credentials = faust_credentials(settings)
        if credentials is not None:
            options.setdefault("broker_credentials", credentials)
        super().__init__(app_id, **options)

    def _new_transport(self) -> Any:
        return VerifiedTransport(self.conf.broker_consumer, self)


def faust_credentials(settings: ServiceSettings) -> Any:
    """faust credentials for EGOV_KAFKA_SECURITY_PROTOCOL / EGOV_KAFKA_SASL_*; None = plaintext."""
    context = ssl_context(settings)
    if settings.kafka_sasl_mechanism:
        return faust.SASLCredentials(
            username=settings.kafka_sasl_username,
            password=secret(settings.kafka_sasl_password),
            mechanism=settings.kafka_sasl_mechanism,
            ssl_context=context,
        )
    if context is not None:
        return faust.SSLCredentials(context)
    return None
