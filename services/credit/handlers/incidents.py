"""A credit incident reported by a department or an outside system becomes a record."""

from __future__ import annotations

import logging
from datetime import timedelta

from services.credit import metrics
from services.credit.domain import (
    CreditRecord,
    new_record,
    normalise_subject_id,
    record_region,
    subject_id_error,
)
from services.credit.handlers.deps import Deps
from services.credit.handlers.subjects import change_subject
from shared.contracts import CreditIncident, Envelope, derived_event_id
from shared.contracts.publishers import originating_system
from shared.errors import DuplicateKey
from shared.kafka import PermanentError
from shared.observability.labels import source_system_label

log = logging.getLogger(__name__)


def incident_error(deps: Deps, data: CreditIncident) -> str | None:
    """Why an incident can never become a record, or None."""
    error = subject_id_error(data.subject_kind, data.subject_id, deps.departments)
    if error is not None:
        return error
    if data.occurred_at.tzinfo is None:
        return "occurred_at must carry a UTC offset"
    skew = timedelta(seconds=deps.settings.max_future_skew_s)
    if data.occurred_at > deps.clock.now() + skew:
        return "occurred_at is in the future"
    return None


def record_id_for(origin_key: str) -> str:
    return "CR-" + derived_event_id("credit-record", origin_key)[:20].upper()


async def on_credit_incident(deps: Deps, envelope_: Envelope, data: CreditIncident) -> None:
    error = incident_error(deps, data)
    if error is not None:
        metrics.INCIDENTS_REJECTED.labels(data.subject_kind.value).inc()
        raise PermanentError(error)
    subject_id = normalise_subject_id(data.subject_id)
    # The source is authenticated (the consumer bound it to the ingress topic's publisher, or
    # it came on a topic only the platform writes): an outside system is recorded as its
    # registered id, whatever its payload says.
    source_system = originating_system(envelope_.source, data.source_system)
    # A copy already recorded is refused on the write (the subject's records, then the unique
    # origin key): no read of it first, the consumer's dedupe has just looked up the same key.
    origin_key = f"{envelope_.source}|{envelope_.id}"
    record = new_record(
        record_id=record_id_for(origin_key),
        origin_key=origin_key,
        subject_id=subject_id,
        subject_kind=data.subject_kind,
        subject_name=data.subject_name,
        record_type=data.incident_type,
        severity=data.severity,
        source_system=source_system,
        evidence=list(data.evidence),
        description=data.description,
        case_id=data.case_id,
        region=record_region(
            data.subject_kind, subject_id, data.region, deps.settings.default_region
        ),
        occurred_at=data.occurred_at,
        now=deps.clock.now(),
        rules=deps.rules,
    )

    def add(records: list[CreditRecord]) -> tuple[list[CreditRecord], list[CreditRecord]]:
        if any(r.record_id == record.record_id for r in records):
            raise DuplicateKey(record.record_id)
        return [record], []

    try:
        await change_subject(
            deps,
            subject_id=subject_id,
            kind=data.subject_kind,
            name=data.subject_name,
            mutate=add,
            reason=f"new {data.severity.value} record: {data.incident_type}",
            causation=envelope_,
            record_id=record.record_id,
        )
    except DuplicateKey:
        log.info("incident %s already recorded", envelope_.id)
        return
    metrics.RECORDS.labels(
        data.subject_kind.value, data.severity.value, source_system_label(source_system)
    ).inc()
    log.info("recorded %s (%s) from %s", record.record_id, data.severity.value, envelope_.source)
