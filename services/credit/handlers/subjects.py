"""Every change to a subject goes through :func:`change_subject`: load the subject (with its
version) and its records, apply a pure change, re-evaluate the level, and save the subject, the
records and the outgoing events in one transaction; if another change won the race, start over.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from datetime import datetime
from typing import Any

from services.credit import metrics
from services.credit.domain import (
    CREDIT_DEPARTMENT_SUFFIX,
    CreditRecord,
    HistoryEntry,
    Standing,
    Subject,
    evaluate,
    new_subject,
)
from services.credit.handlers.deps import SOURCE, Deps
from services.credit.handlers.errors import ConcurrencyExhausted
from shared.audit import ChainHead, append_models, checkpoint, checkpoint_event_id
from shared.contracts import (
    CreditChanged,
    Envelope,
    EventData,
    SubjectKind,
    derived_event_id,
    make_envelope,
)
from shared.errors import StaleVersion
from shared.observability.logging import correlation_id

log = logging.getLogger(__name__)

AUDIT_CHAIN = "credit.record"  # the kind of chain a record's history is (genesis, checkpoints)

# Records to add and records changed by a change, given the subject's current records.
Mutation = Callable[[list[CreditRecord]], tuple[list[CreditRecord], list[CreditRecord]]]
# Extra events of a change (besides CreditChanged), given the records it changed.
ExtraEvents = Callable[[list[CreditRecord]], list[tuple[EventData, str]]]


def envelope(deps: Deps, data: EventData, event_id: str, causation: Envelope | None) -> Envelope:
    return make_envelope(
        data,
        source=SOURCE,
        time=deps.clock.now(),
        id=event_id,
        correlation_id=None if causation else correlation_id.get(),
        causation=causation,
    )


def audit_head(record: CreditRecord) -> ChainHead:
    """The head of the record's history chain as stored with the record."""
    if record.audit_seq == 0:
        return ChainHead.start(AUDIT_CHAIN, record.record_id)
    return ChainHead(count=record.audit_seq, hash=record.audit_head)


def history_entries(record: CreditRecord) -> list[dict[str, Any]]:
    """The record's history as the chain hashes it."""
    return [h.model_dump(mode="json") for h in record.history]


def _linked(
    deps: Deps, record: CreditRecord, causation: Envelope | None
) -> tuple[CreditRecord, list[Envelope]]:
    """The record with its new history entries linked into its audit chain under the audit key,
    and the signed checkpoint of the new head (none when the history did not grow)."""
    new = record.history[record.audit_seq :]
    if not new:
        return record, []
    entries, head = append_models(deps.audit_keys, new, head=audit_head(record))
    history = [*record.history[: record.audit_seq], *map(HistoryEntry.model_validate, entries)]
    linked = record.model_copy(
        update={"history": history, "audit_seq": head.count, "audit_head": head.hash}
    )
    cp = checkpoint(
        deps.audit_keys,
        chain=AUDIT_CHAIN,
        chain_id=record.record_id,
        head=head,
        recorded_at=new[-1].at,
    )
    return linked, [envelope(deps, cp, checkpoint_event_id(cp), causation)]


def credit_department(deps: Deps, record: CreditRecord) -> str:
    """The social-credit department (发改委) that decides on a record: the one of its region (city,
    then province), or the configured default; never a department that is the record's subject
    or its source (no one decides on their own record): the next one up, or the referee."""
    region = record.region
    own = {record.subject_id, record.source_system}
    for candidate in (region, f"{region[:4]}00", f"{region[:2]}0000"):
        code = f"{candidate}{CREDIT_DEPARTMENT_SUFFIX}"
        if code in deps.departments and code not in own:
            return code
    default = deps.settings.default_credit_department
    return default if default not in own else deps.settings.objection_referee_department


async def change_subject(
    deps: Deps,
    *,
    subject_id: str,
    kind: SubjectKind,
    name: str | None,
    mutate: Mutation,
    reason: str,
    extra_events: ExtraEvents = lambda changed: [],
    causation: Envelope | None = None,
    record_id: str | None = None,
) -> tuple[Subject, list[CreditRecord]]:
    """Apply ``mutate`` to the subject's records under optimistic concurrency."""
    for attempt in range(deps.settings.concurrency_retries):
        stored = await deps.store.subject(subject_id)
        records = await deps.store.records_of(subject_id)
        now = deps.clock.now()
        before = stored or new_subject(subject_id, kind, name, evaluate([], now, deps.rules))
        added, changed = mutate(records)
        n_added, audited = len(added), [_linked(deps, r, causation) for r in added + changed]
        added = [r for r, _ in audited[:n_added]]
        changed = [r for r, _ in audited[n_added:]]
        changed_ids = {r.record_id for r in changed}
        current = [r for r in records if r.record_id not in changed_ids] + changed + added
        standing = evaluate(current, now, deps.rules)
        after = before.with_standing(standing, now)
        if before.subject_name is None and name:
            after = after.model_copy(update={"subject_name": name})
        events = [
            envelope(deps, data, event_id, causation)
            for data, event_id in extra_events(changed + added)
        ]
        events += [cp for _, checkpoints in audited for cp in checkpoints]
        if before.standing_differs(standing):
            changed_event = _credit_changed(before, standing, reason, record_id, now)
            event_id = derived_event_id(subject_id, "credit-changed", str(after.version))
            events.append(envelope(deps, changed_event, event_id, causation))
        try:
            await deps.store.save(
                after,
                before.version,
                new_records=added,
                updated_records=changed,
                envelopes=events,
            )
        except StaleVersion:
            # Jittered back-off so that racing writers do not collide again in lock step.
            await asyncio.sleep(random.uniform(0, min(0.02 * (attempt + 1), 0.3)))
            continue
        deps.wake()
        _count_changes(before, after)
        return after, changed + added
    raise ConcurrencyExhausted(
        f"subject changed {deps.settings.concurrency_retries} times while we worked"
    )


async def change_record_subject(
    deps: Deps,
    record: CreditRecord,
    *,
    mutate: Mutation,
    reason: str,
    extra_events: ExtraEvents = lambda changed: [],
) -> list[CreditRecord]:
    """``change_subject`` for a change to one of the subject's records (an objection, a repair):
    the subject named by the record, audited under the record's id. The changed records."""
    _, changed = await change_subject(
        deps,
        subject_id=record.subject_id,
        kind=record.subject_kind,
        name=None,
        mutate=mutate,
        reason=reason,
        extra_events=extra_events,
        record_id=record.record_id,
    )
    return changed


def _count_changes(before: Subject, after: Subject) -> None:
    """Level changes and red or black list entries and exits, counted once saved."""
    if before.level != after.level:
        metrics.LEVEL_CHANGES.labels(before.level, after.level).inc()
    for name, was, now in (
        ("red", before.red_list, after.red_list),
        ("black", before.black_list, after.black_list),
    ):
        if was != now:
            metrics.LIST_CHANGES.labels(name, "entered" if now else "left").inc()


def _credit_changed(
    before: Subject, standing: Standing, reason: str, record_id: str | None, now: datetime
) -> CreditChanged:
    return CreditChanged(
        subject_id=before.subject_id,
        subject_kind=before.subject_kind,
        previous_level=before.level,
        level=standing.level,
        red_list=standing.red_list,
        black_list=standing.black_list,
        reason=reason,
        record_id=record_id,
        changed_at=now,
    )


async def reevaluate(deps: Deps, subject_id: str) -> bool:
    """Publish the level change that time alone caused (decay, publicity ending). True if any."""
    stored = await deps.store.subject(subject_id)
    if stored is None:
        return False
    records = await deps.store.records_of(subject_id)
    if not stored.standing_differs(evaluate(records, deps.clock.now(), deps.rules)):
        return False
    await change_subject(
        deps,
        subject_id=subject_id,
        kind=stored.subject_kind,
        name=stored.subject_name,
        mutate=lambda records: ([], []),
        reason="records aged (decay or end of the publicity period)",
    )
    return True


async def reevaluate_subjects(deps: Deps) -> int:
    """Time alone changes levels (decay, end of publicity): publish those changes too. The number
    of subjects whose standing changed."""
    changed = 0
    for subject_id in await deps.store.subject_ids():
        changed += await reevaluate(deps, subject_id)
    return changed
