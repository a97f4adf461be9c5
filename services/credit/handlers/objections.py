"""Objections (信用异议): the subject disputes a record, the credit office decides within a
limit of working days; a provisional deadline is counted again once the year's holidays are
published."""

from __future__ import annotations

import logging
from typing import Any

from services.credit import metrics
from services.credit.domain import CreditError, CreditRecord, Objection, Status, publicity_until
from services.credit.handlers.deps import Deps
from services.credit.handlers.errors import Forbidden, NotFound
from services.credit.handlers.records import current_record, is_record_subject, load_record
from services.credit.handlers.subjects import change_record_subject, credit_department
from shared import jobs
from shared.auth import Principal
from shared.calendar import Limit
from shared.contracts import (
    RECOMPUTED_ON_PUBLICATION,
    DeadlineChanged,
    Severity,
    StageClosed,
    StageKind,
    StageOpened,
    derived_event_id,
)

OBJECTION_ITEM = "credit-objection"
DECIDE_OBJECTION_ROLES = ("supervisor", "admin")
log = logging.getLogger(__name__)


async def file_objection(
    deps: Deps, record_id: str, principal: Principal, reason: str
) -> CreditRecord:
    record = await load_record(deps, record_id)
    if not is_record_subject(principal, record):
        raise Forbidden("only the subject of a record may object to it")
    now = deps.clock.now()
    limit = Limit(value=deps.settings.objection_working_days)
    due_at = deps.calendar.deadline(now, limit)
    provisional = deps.calendar.is_provisional(limit, now, due_at)
    department = credit_department(deps, record)

    def mutate(records: list[CreditRecord]) -> tuple[list[CreditRecord], list[CreditRecord]]:
        current = current_record(record_id, records)
        objection_id = f"OBJ-{record_id.removeprefix('CR-')}-{len(current.objections) + 1}"
        changed = current.file_objection(
            objection_id=objection_id,
            actor=principal.subject,
            reason=reason,
            at=now,
            due_at=due_at,
            department=department,
            limit=limit,
            due_provisional=provisional,
            due_calendar=deps.calendar.version,
        )
        return [], [changed]

    def opened(changed: list[CreditRecord]) -> list[tuple[Any, str]]:
        objection = changed[0].objections[-1]
        data = StageOpened(
            case_id=objection.objection_id,
            stage_id=f"{objection.objection_id}:objection",
            stage=StageKind.OBJECTION,
            name="信用异议处理 (credit objection)",
            item_code=OBJECTION_ITEM,
            department=department,
            region=department[:6],
            required_role="supervisor",
            opened_at=now,
            due_at=due_at,
            due_provisional=provisional,
            limit=limit,
        )
        return [(data, derived_event_id(objection.objection_id, "objection-opened"))]

    changed = await change_record_subject(
        deps,
        record,
        mutate=mutate,
        reason="objection filed",
        extra_events=opened,
    )
    metrics.OBJECTIONS.labels("filed").inc()
    metrics.OBJECTIONS_OPEN.inc()
    return changed[0]


async def decide_objection(
    deps: Deps,
    objection_id: str,
    principal: Principal,
    *,
    upheld: bool,
    resolution: Status | None,
    reason: str,
    corrected_severity: Severity | None = None,
    corrected_description: str | None = None,
) -> CreditRecord:
    record, objection = await _objection_to_decide(deps, objection_id, principal)
    now = deps.clock.now()

    def mutate(records: list[CreditRecord]) -> tuple[list[CreditRecord], list[CreditRecord]]:
        current = current_record(record.record_id, records)
        if current.open_objection is None or current.open_objection.objection_id != objection_id:
            raise CreditError(f"objection {objection_id} is already decided")
        severity = corrected_severity
        changed = current.decide_objection(
            upheld=upheld,
            resolution=resolution,
            actor=principal.subject,
            reason=reason,
            at=now,
            corrected_severity=severity,
            corrected_description=corrected_description,
            publicity_until=(
                publicity_until(current.occurred_at, severity, deps.rules) if severity else None
            ),
        )
        return [], [changed]

    def closed(changed: list[CreditRecord]) -> list[tuple[Any, str]]:
        data = StageClosed(
            case_id=objection_id,
            stage_id=f"{objection_id}:objection",
            stage=StageKind.OBJECTION,
            outcome="approved" if upheld else "denied",
            officer=principal.subject,
            reason=reason,
            department=objection.department,
            closed_at=now,
        )
        return [(data, derived_event_id(objection_id, "objection-closed"))]

    changed = await change_record_subject(
        deps,
        record,
        mutate=mutate,
        reason=f"objection {'upheld' if upheld else 'rejected'}: {reason}",
        extra_events=closed,
    )
    metrics.OBJECTIONS.labels("upheld" if upheld else "rejected").inc()
    metrics.OBJECTIONS_OPEN.dec()
    return changed[0]


async def _objection_to_decide(
    deps: Deps, objection_id: str, principal: Principal
) -> tuple[CreditRecord, Objection]:
    """The record and its objection, if the principal may decide it (its department, or admin)."""
    record = await deps.store.record_by_objection(objection_id)
    if record is None:
        raise NotFound(f"no objection {objection_id}")
    objection = next(o for o in record.objections if o.objection_id == objection_id)
    if not principal.has_any(*DECIDE_OBJECTION_ROLES):
        raise Forbidden(f"requires one of the roles: {', '.join(DECIDE_OBJECTION_ROLES)}")
    if not principal.has_any("admin") and principal.department != objection.department:
        raise Forbidden(f"objection {objection_id} is decided by {objection.department}")
    return record, objection


async def recompute_objection_deadlines(deps: Deps) -> int:
    """After a holiday schedule is published: each open objection whose deadline was provisional
    counted again from its filing and limit; ``deadline.changed`` where it moved."""
    return await jobs.each(
        await deps.store.records_with_open_objection(),
        lambda record: _recompute_objection(deps, record),
        what="recounting the objection deadline",
    )


async def _recompute_objection(deps: Deps, record: CreditRecord) -> bool:
    """Counted again inside the subject's optimistic transaction, on what is stored then."""
    if not _needs_recompute(deps, record.open_objection):
        return False
    now = deps.clock.now()
    changes: list[DeadlineChanged] = []

    def mutate(records: list[CreditRecord]) -> tuple[list[CreditRecord], list[CreditRecord]]:
        changes.clear()
        current = current_record(record.record_id, records)
        old = current.open_objection
        if old is None or old.limit is None or not _needs_recompute(deps, old):
            return [], []  # decided, or recomputed by another replica meanwhile
        due_at = deps.calendar.deadline(old.filed_at, old.limit)
        provisional = deps.calendar.is_provisional(old.limit, old.filed_at, due_at)
        if due_at != old.due_at or provisional != old.due_provisional:
            changes.append(
                DeadlineChanged(
                    case_id=old.objection_id,
                    kind="objection",
                    stage_id=f"{old.objection_id}:objection",
                    department=old.department,
                    region=old.department[:6],
                    old_due_at=old.due_at,
                    new_due_at=due_at,
                    due_provisional=provisional,
                    calendar_version=deps.calendar.version,
                    reason=RECOMPUTED_ON_PUBLICATION,
                    changed_at=now,
                )
            )
        recomputed = current.objection_due_recomputed(
            due_at, provisional=provisional, calendar_version=deps.calendar.version
        )
        return [], [recomputed]

    def changed_event(_: list[CreditRecord]) -> list[tuple[Any, str]]:
        return [(c, derived_event_id(c.case_id, "deadline", c.calendar_version)) for c in changes]

    await change_record_subject(
        deps,
        record,
        mutate=mutate,
        reason="objection deadline recomputed",
        extra_events=changed_event,
    )
    return any(c.old_due_at != c.new_due_at for c in changes)


def _needs_recompute(deps: Deps, objection: Objection | None) -> bool:
    return (
        objection is not None
        and objection.limit is not None
        and objection.due_provisional
        and deps.calendar.superseded(objection.due_calendar)
    )
