"""The faust side: app, tables, the agent over stages + cases + timer firings, rebalance hooks.

One agent consumes egov.stages, egov.cases and egov.monitor.timers (all keyed by case id, six
partitions, so faust's assignor gives partition p of all three, and of the tables' changelogs, to
the same worker). Only that agent writes the tables, as faust requires.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from aiokafka.errors import KafkaError, MessageSizeTooLargeError

from services.monitor import handlers as h
from services.monitor import state_store
from services.monitor.faust_app import FaustPublisher, arrival_instant, build_app
from services.monitor.firing import Firing, decode_batch, encode_batches, on_timers
from services.monitor.settings import MonitorSettings
from services.monitor.timers import TimerWheel
from shared.clock import Clock
from shared.contracts import DEAD_LETTER_TOPIC, T_CASES, T_STAGES
from shared.contracts.registry import MONITOR_TIMERS_TOPIC
from shared.kafka import PermanentError, pipeline
from shared.kafka.deadletter import DeadLetterReason
from shared.kafka.pipeline import Refused, dead_lettered, decode, too_large
from shared.observability.logging import correlation_id
from shared.observability.metrics import EVENTS_CONSUMED

log = logging.getLogger(__name__)

SOURCE_TOPICS = (T_STAGES, T_CASES, MONITOR_TIMERS_TOPIC)


class MonitorStream:
    """Builds the faust app and owns the per-message pipeline."""

    deps: h.Deps  # set by bootstrap.build, which wires the table adapters into the handlers

    def __init__(self, settings: MonitorSettings, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock
        self.service = settings.service_name
        self.app = build_app(settings)
        # Values are the records' JSON bytes (see TableCaseStore); keys stay JSON-encoded.
        options = state_store.rocksdb_options() if settings.monitor_store == "rocksdb" else None
        self.cases = self.app.Table(
            "monitor-cases", default=None, partitions=6, value_type=bytes, options=options
        )
        self.stats = self.app.Table("monitor-stats", default=None, partitions=6, options=options)
        self.wheel = TimerWheel(clock, max_sleep_s=settings.monitor_timer_max_sleep_s)
        self.publisher = FaustPublisher(self.app, self.service)
        self.recovered = False
        self.source = self.app.topic(
            *SOURCE_TOPICS,
            key_type=bytes,
            value_type=bytes,
            key_serializer="raw",
            value_serializer="raw",
        )
        self.app.agent(self.source, name="monitor-supervise")(self._agent)
        self.cases.on_recover(self._on_recovered)
        self.app.on_partitions_revoked.connect(self._on_revoked)  # type: ignore[arg-type]

    # --- rebalance --------------------------------------------------------------------------

    async def _on_revoked(self, _sender: Any, revoked: set[Any], **_: Any) -> None:
        self.recovered = False
        self.wheel.revoke({tp.partition for tp in revoked if tp.topic == T_STAGES})

    def owned_partitions(self) -> set[int]:
        return {tp.partition for tp in self.app.assignor.assigned_actives() if tp.topic == T_STAGES}

    async def _on_recovered(self) -> None:
        owned = self.owned_partitions()

        def entries() -> Iterator[tuple[int, str, str, float]]:
            for rec in self.deps.store.records():
                if rec.partition in owned:
                    for stage_id, due in rec.timers.items():
                        yield rec.partition, rec.case_id, stage_id, due

        self.wheel.assign(owned, entries())
        self.recovered = True
        log.info("recovered partitions %s with %d timers", sorted(owned), len(self.wheel))

    # --- timers -------------------------------------------------------------------------------

    async def fire(self, due: list[tuple[int, str, str, float]]) -> None:
        """The stages due in one tick, one message per partition (and chunk) to the timer
        topic, each on the partition of its cases (see ``firing``)."""
        pending = [
            await self.app.producer.send(MONITOR_TIMERS_TOPIC, key, body, p, None, None)
            for p, key, body in encode_batches(due)
        ]
        for fut in pending:
            await fut

    async def run_timers(self) -> None:
        # Fire only once faust has sought the streams to their committed offsets (after the
        # recovery callback), so a firing produced now is never skipped by an offset reset.
        await self.wheel.run(self.fire, lambda: self.recovered and not self.app.rebalancing)

    # --- messages -----------------------------------------------------------------------------

    async def _agent(self, stream: Any) -> None:
        async for event in stream.events():
            await self.handle(event.message)

    async def handle(self, message: Any) -> None:
        """The shared consumer's steps (shared/kafka/pipeline.py), then the handler with
        retries; the timer topic carries the monitor's own firing batches."""
        incoming = h.Incoming(
            partition=message.partition,
            now=self.clock.now(),
            arrived_at=arrival_instant(self.clock, message.timestamp),
        )
        value: bytes = message.value or b""
        max_bytes = self.settings.kafka_max_message_bytes
        if message.topic == MONITOR_TIMERS_TOPIC:
            refused = too_large(value, max_bytes)
            if refused is not None:
                await self.dead_letter(message, refused)
                return
            await self.handle_firings(message, incoming, value)
            return
        decoded = decode(message.topic, value, max_bytes=max_bytes)
        if isinstance(decoded, Refused):
            await self.dead_letter(message, decoded)
            return
        env, data = decoded.envelope, decoded.data
        handler = h.HANDLERS.get(env.type)
        if handler is None:
            EVENTS_CONSUMED.labels(self.service, env.type, "ignored").inc()
            return
        deps = self.deps.arrived(incoming)
        token = correlation_id.set(env.correlationid)
        try:
            await self._run(message, env.type, lambda: handler(deps, env, data))
        finally:
            correlation_id.reset(token)

    async def handle_firings(self, message: Any, incoming: h.Incoming, value: bytes) -> None:
        try:
            firings = decode_batch(value)
        except (ValueError, KeyError, TypeError) as exc:
            await self.dead_letter(message, Refused(DeadLetterReason.NOT_JSON, str(exc)))
            return

        async def reject(firing: Firing, exc: Exception) -> None:
            log.warning("timer firing %s/%s failed: %r", firing.case_id, firing.stage_id, exc)
            await self.dead_letter(
                message,
                Refused(
                    DeadLetterReason.HANDLER_FAILED,
                    f"stage {firing.stage_id}: {type(exc).__name__}: {exc}",
                    "timer",
                ),
                key=firing.case_id.encode(),
                value=json.dumps(firing.to_json()).encode(),  # a batch of one, to send back
            )

        deps = self.deps.arrived(incoming)
        await self._run(message, "timer", lambda: on_timers(deps, firings, reject))

    async def _run(self, message: Any, event_type: str, call: Any) -> None:
        attempts = max(1, self.settings.monitor_handler_retries)
        for attempt in range(1, attempts + 1):
            try:
                await call()
                EVENTS_CONSUMED.labels(self.service, event_type, "handled").inc()
                return
            except PermanentError as exc:
                refused = Refused(DeadLetterReason.REJECTED, str(exc), event_type)
                await self.dead_letter(message, refused)
                return
            except Exception as exc:  # noqa: BLE001 - isolate one bad message
                if attempt == attempts:
                    log.exception("handler for %s failed; dead-lettering", event_type)
                    error = f"{type(exc).__name__}: {exc}"
                    refused = Refused(DeadLetterReason.HANDLER_FAILED, error, event_type)
                    await self.dead_letter(message, refused)
                    return
                await asyncio.sleep(self.settings.consumer_retry_backoff_s * 2 ** (attempt - 1))

    async def dead_letter(
        self,
        message: Any,
        refused: Refused,
        *,
        key: bytes | None = None,
        value: bytes | None = None,
    ) -> None:
        """Sends ``message`` (or, for one firing of a batch, ``key`` and ``value``) with its
        reason and origin to the dead-letter topic."""
        headers = message.headers or ()
        if isinstance(headers, dict):
            headers = list(headers.items())
        letter = pipeline.dead_letter(
            refused,
            topic=message.topic,
            partition=message.partition,
            offset=message.offset,
            key=message.key if key is None else key,
            value=(message.value or b"") if value is None else value,
            headers=[(k, bytes(v)) for k, v in headers],
            consumer=self.settings.monitor_app_id,
            failed_at=self.clock.now(),
        )
        try:
            await self.app.producer.send_and_wait(
                DEAD_LETTER_TOPIC, letter.key, letter.value, None, None, letter.headers()
            )
        except KafkaError as exc:
            if not isinstance(exc, MessageSizeTooLargeError):
                raise  # the broker is unreachable: let faust stop rather than lose the message
            # The broker refuses the original bytes: keep the reason and origin, drop the body.
            log.error("dead letter too large for the broker; sending headers only: %s", exc)
            bare = replace(letter, value=b"", error=f"{letter.error} (body dropped: {exc})")
            await self.app.producer.send_and_wait(
                DEAD_LETTER_TOPIC, letter.key, b"", None, None, bare.headers()
            )
        dead_lettered(self.service, letter)
