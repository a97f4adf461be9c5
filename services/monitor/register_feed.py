"""Feeds the register from ``egov.supervision`` (its own consumer group, so every finding and
escalation is recorded once whichever worker produced it); each answer awaited is a supervised
stage (``register_answer``) the monitor lights and escalates like any other."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime

from aiokafka import AIOKafkaConsumer
from pydantic import ValidationError

from services.monitor.ports import Publisher
from services.monitor.register import Record, answer_closed, answer_opened, record_from
from services.monitor.register_store import MongoRegister
from shared.calendar import Limit, WorkingCalendar
from shared.contracts import T_SUPERVISION, Envelope, derived_event_id, make_envelope
from shared.kafka.client import connection_kwargs
from shared.settings import ServiceSettings

log = logging.getLogger(__name__)
SOURCE = "/egov/monitor"
RETRY_S = 5.0


def answer_due(calendar: WorkingCalendar, at: datetime, working_days: int) -> datetime:
    return calendar.deadline(at, Limit(value=working_days))


async def follow_supervision(
    settings: ServiceSettings,
    register: MongoRegister,
    publisher: Publisher,
    calendar: WorkingCalendar,
    *,
    group_id: str,
    answer_working_days: int,
) -> None:
    """Runs for the life of the worker and never raises: a failure (database, broker, a
    rebalance during a commit) is logged, the consumer rebuilt, and reading resumes from the last
    commit (records are idempotent by event id)."""
    while True:
        consumer = AIOKafkaConsumer(
            T_SUPERVISION,
            **connection_kwargs(settings),
            group_id=group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        try:
            await consumer.start()
            await register.ensure_indexes()
            while True:
                batch = await consumer.getmany(timeout_ms=1000, max_records=500)
                for messages in batch.values():
                    for message in messages:
                        await record_event(
                            message.value, register, publisher, calendar, answer_working_days
                        )
                if batch:
                    await consumer.commit()
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - the register must never stop the worker
            log.exception("register: feed failed; restarting in %s s", RETRY_S)
            await asyncio.sleep(RETRY_S)
        finally:
            with contextlib.suppress(Exception):
                await consumer.stop()


async def record_event(
    value: bytes | None,
    register: MongoRegister,
    publisher: Publisher,
    calendar: WorkingCalendar,
    days: int,
) -> None:
    """One supervision event into the register; a record awaiting an answer opens the
    supervised stage of that answer first (published before it is stored: a replay publishes
    the same id again, which the monitor ignores)."""
    try:
        envelope = Envelope.from_json_bytes(value or b"")
        at = envelope.time
        record = record_from(envelope, answer_due(calendar, at, days))
    except (ValidationError, ValueError, KeyError) as exc:
        # egov.supervision is written by the monitor alone; anything else is skipped, logged
        log.warning("register: message skipped: %s", exc)
        return
    if record is None:
        return
    if record["state"] == "open" and await register.get(record["_id"]) is None:
        await publisher.publish([answer_envelope(record, days, at)])
    await register.add(record)


def answer_envelope(record: Record, days: int, at: datetime) -> Envelope:
    opened = answer_opened(record, Limit(value=days))
    return make_envelope(
        opened, source=SOURCE, time=at, id=derived_event_id(opened.stage_id, "opened")
    )


def closed_envelope(record: Record, *, by: str, at: datetime) -> Envelope:
    closed = answer_closed(record, by=by, at=at)
    return make_envelope(
        closed, source=SOURCE, time=at, id=derived_event_id(closed.stage_id, "closed")
    )
