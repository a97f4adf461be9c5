"""Feeds the register from ``egov.supervision`` (its own consumer group, so every finding and
escalation is recorded once whichever worker produced it); each answer awaited is a supervised
stage (``register_answer``) the monitor lights and escalates like any other."""

from __future__ import annotations

import logging
from collections.abc import Sequence
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
        values = [message.value for message in messages]
        await record_events(values, register, publisher, calendar, answer_working_days)

    await follow_topics(
        settings,
        [T_SUPERVISION],
        group_id=group_id,
        on_batch=on_batch,
        on_start=register.ensure_indexes,
        name="register",
    )


async def record_events(
    values: Sequence[bytes | None],
    register: MongoRegister,
    publisher: Publisher,
    calendar: WorkingCalendar,
    days: int,
) -> None:
    """A batch of supervision events into the register, in three round trips whatever its size
    (which of its records are known, the answers' stages published, the new records inserted):
    a record awaiting an answer opens the supervised stage of that answer first (published
    before it is stored: a replay publishes the same id again, which the monitor ignores)."""
    found: dict[str, tuple[Record, datetime]] = {}
    for value in values:
        parsed = _parse(value, calendar, days)
        if parsed is not None:
            found.setdefault(parsed[0]["_id"], parsed)  # the first of an event seen twice
    if not found:
        return
    awaiting = [rid for rid, (record, _) in found.items() if record["state"] == "open"]
    known = await register.known(awaiting) if awaiting else set()
    opened = [answer_envelope(found[rid][0], days, found[rid][1]) for rid in awaiting]
    new_answers = [env for rid, env in zip(awaiting, opened, strict=True) if rid not in known]
    if new_answers:
        await publisher.publish(new_answers)
    await register.add_many([record for record, _ in found.values()])


def _parse(
    value: bytes | None, calendar: WorkingCalendar, days: int
) -> tuple[Record, datetime] | None:
    try:
        envelope = Envelope.from_json_bytes(value or b"")
        at = envelope.time
        record = record_from(envelope, answer_due(calendar, at, days))
    except (ValidationError, ValueError, KeyError) as exc:
        # egov.supervision is written by the monitor alone; anything else is skipped, logged
        log.warning("register: message skipped: %s", exc)
        return None
    return None if record is None else (record, at)


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
