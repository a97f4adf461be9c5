"""Feeds the register from ``egov.supervision`` (its own consumer group, so every finding and
escalation is recorded once whichever worker produced it) and finds answers gone late."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from aiokafka import AIOKafkaConsumer
from pydantic import ValidationError

from services.monitor.ports import Publisher
from services.monitor.register import Record, record_from
from services.monitor.register_store import MongoRegister
from shared.calendar import Limit, WorkingCalendar
from shared.clock import Clock
from shared.contracts import (
    T_SUPERVISION,
    Envelope,
    SupervisionFinding,
    derived_event_id,
    make_envelope,
)
from shared.kafka.client import connection_kwargs
from shared.settings import ServiceSettings

log = logging.getLogger(__name__)
SOURCE = "/egov/monitor"


def answer_due(calendar: WorkingCalendar, at: datetime, working_days: int) -> datetime:
    return calendar.deadline(at, Limit(value=working_days))


async def follow_supervision(
    settings: ServiceSettings,
    register: MongoRegister,
    calendar: WorkingCalendar,
    *,
    group_id: str,
    answer_working_days: int,
) -> None:
    consumer = AIOKafkaConsumer(
        T_SUPERVISION,
        **connection_kwargs(settings),
        group_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        while True:
            batch = await consumer.getmany(timeout_ms=1000, max_records=500)
            for messages in batch.values():
                for message in messages:
                    await _record(message.value, register, calendar, answer_working_days)
            if batch:
                await consumer.commit()
    finally:
        await consumer.stop()


async def _record(
    value: bytes | None, register: MongoRegister, calendar: WorkingCalendar, days: int
) -> None:
    try:
        envelope = Envelope.from_json_bytes(value or b"")
        at = envelope.time
        record = record_from(envelope, answer_due(calendar, at, days))
    except (ValidationError, ValueError, KeyError) as exc:
        # egov.supervision is written by the monitor alone; anything else is skipped, logged
        log.warning("register: message skipped: %s", exc)
        return
    if record is not None:
        await register.add(record)


async def find_late_answers(register: MongoRegister, publisher: Publisher, clock: Clock) -> int:
    """Each open record past its answer deadline: one finding (register_answer_late)."""
    now = clock.now()
    found = 0
    for record in await register.late(now):
        await publisher.publish([_late_finding(record, now)])
        await register.replace({**record, "late_found": True}, expected_state="open")
        found += 1
    return found


def _late_finding(record: Record, now: datetime) -> Envelope:
    data = SupervisionFinding(
        case_id=record["case_id"] or record["_id"],
        stage_id=record.get("stage_id"),
        kind="register_answer_late",
        detail=f"register record {record['_id']} not answered by "
        f"{record['answer_due'].isoformat()}",
        department=record["department"],
        region=record["region"],
        item_code=record.get("item_code"),
        found_at=now,
    )
    key = derived_event_id(record["_id"], "answer_late", record["answer_due"].isoformat())
    return make_envelope(data, source=SOURCE, time=now, id=key)


async def sweep_forever(
    register: MongoRegister, publisher: Publisher, clock: Clock, every_s: float
) -> None:
    while True:
        try:
            await find_late_answers(register, publisher, clock)
        except Exception:  # noqa: BLE001 - retried at the next sweep
            log.exception("register: late-answer sweep failed")
        await asyncio.sleep(every_s)
