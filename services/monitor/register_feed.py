"""Feeds the register from ``egov.supervision`` (its own consumer group, so every finding and
escalation is recorded once whichever worker produced it); each answer awaited is a supervised
stage (``register_answer``) the monitor lights and escalates like any other."""

from __future__ import annotations

import logging
from datetime import datetime

from pydantic import ValidationError

from services.monitor.ports import Publisher
from services.monitor.register import Record, answer_closed, answer_opened, record_from
from services.monitor.register_store import MongoRegister
from shared.calendar import Limit, WorkingCalendar
from shared.contracts import T_SUPERVISION, Envelope, derived_event_id, make_envelope
from shared.kafka.feed import Batch, follow_topics
from shared.settings import ServiceSettings

log = logging.getLogger(__name__)
SOURCE = "/egov/monitor"


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
    """Runs for the life of the worker and never raises (shared.kafka.feed): records are
    idempotent by event id, so a batch handed over again after a failure changes nothing."""

    async def on_batch(messages: Batch) -> None:
        for message in messages:
            await record_event(message.value, register, publisher, calendar, answer_working_days)

    await follow_topics(
        settings,
        [T_SUPERVISION],
        group_id=group_id,
        on_batch=on_batch,
        on_start=register.ensure_indexes,
        name="register",
    )


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
