"""Commands behind the HTTP API: credit look-ups, objections (信用异议) and repair (信用修复).
Each checks who may act, then changes the subject through
:func:`services.credit.handlers.change_subject` (state and events in one transaction)."""

from __future__ import annotations

import logging
from typing import Any

from services.credit import metrics
from services.credit.domain import (
    CreditError,
    CreditRecord,
    Objection,
    Status,
    Viewer,
    credit_view,
    earliest_repair,
    evaluate,
    full_record,
    guess_kind,
    is_subject_of,
    normalise_subject_id,
    publicity_until,
    sees_in_full,
    summary,
    viewer_for,
)
from services.credit.handlers import Deps, change_subject, credit_department
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
log = logging.getLogger(__name__)
DECIDE_OBJECTION_ROLES = ("supervisor", "admin")
DECIDE_REPAIR_ROLES = ("supervisor", "admin", "approver", "reviewer")
RANKING_ROLES = ("supervisor", "inspector", "department_head", "admin")


class NotFound(Exception):
    pass


class Forbidden(Exception):
    pass


class InvalidSubject(ValueError):
    pass


def _identity(principal: Principal) -> str | None:
    """Whom the caller is, as a credit subject: the identity its real-name token verified (a
    token's ``sub`` alone proves nothing about a person's ID number)."""
    return principal.real_name.id_number if principal.real_name is not None else None


def _is_subject(principal: Principal, record: CreditRecord) -> bool:
    return is_subject_of(
        record.subject_id, _identity(principal), principal.roles, principal.department
    )


async def credit_of(deps: Deps, subject_id: str, principal: Principal | None) -> dict[str, Any]:
    subject_id = normalise_subject_id(subject_id)
    kind = guess_kind(subject_id, deps.departments)
    if kind is None:
        raise InvalidSubject(
            "not a resident ID number, unified social credit code or known department code"
        )
    records = await deps.store.records_of(subject_id)
    now = deps.clock.now()
    viewer = (
        viewer_for(subject_id, _identity(principal), principal.roles, principal.department)
        if principal
        else Viewer.PUBLIC
    )
    return credit_view(
        subject_id=subject_id,
        kind=kind,
        standing=evaluate(records, now, deps.rules),
        records=records,
        viewer=viewer,
        as_of=now,
    )


async def record_for(deps: Deps, record_id: str, principal: Principal) -> dict[str, Any]:
    """A record in full for its subject and the credit office, a masked summary for other
    officers and systems; refused to the public."""
    record = await deps.store.record(record_id)
    if record is None:
        raise NotFound(f"no credit record {record_id}")
    viewer = viewer_for(
        record.subject_id, _identity(principal), principal.roles, principal.department
    )
    if viewer == Viewer.PUBLIC:
        raise Forbidden("only the subject and officers see a record by id")
    return full_record(record) if sees_in_full(viewer) else summary(record)


async def _load(deps: Deps, record_id: str) -> CreditRecord:
    record = await deps.store.record(record_id)
    if record is None:
        raise NotFound(f"no credit record {record_id}")
    return record


def _replace(record_id: str, records: list[CreditRecord]) -> CreditRecord:
    found = next((r for r in records if r.record_id == record_id), None)
    if found is None:
        raise NotFound(f"no credit record {record_id}")
    return found


async def file_objection(
    deps: Deps, record_id: str, principal: Principal, reason: str
) -> CreditRecord:
    record = await _load(deps, record_id)
    if not _is_subject(principal, record):
        raise Forbidden("only the subject of a record may object to it")
    now = deps.clock.now()
    limit = Limit(value=deps.settings.objection_working_days)
    due_at = deps.calendar.deadline(now, limit)
    provisional = deps.calendar.is_provisional(limit, now, due_at)
    department = credit_department(deps, record)

    def mutate(records: list[CreditRecord]) -> tuple[list[CreditRecord], list[CreditRecord]]:
        current = _replace(record_id, records)
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

    _, changed = await change_subject(
        deps,
        subject_id=record.subject_id,
        kind=record.subject_kind,
        name=None,
        mutate=mutate,
        reason="objection filed",
        extra_events=opened,
        record_id=record_id,
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
    record = await deps.store.record_by_objection(objection_id)
    if record is None:
        raise NotFound(f"no objection {objection_id}")
    objection = next(o for o in record.objections if o.objection_id == objection_id)
    if not principal.has_any(*DECIDE_OBJECTION_ROLES):
        raise Forbidden(f"requires one of the roles: {', '.join(DECIDE_OBJECTION_ROLES)}")
    if not principal.has_any("admin") and principal.department != objection.department:
        raise Forbidden(f"objection {objection_id} is decided by {objection.department}")
    now = deps.clock.now()

    def mutate(records: list[CreditRecord]) -> tuple[list[CreditRecord], list[CreditRecord]]:
        current = _replace(record.record_id, records)
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

    _, changed = await change_subject(
        deps,
        subject_id=record.subject_id,
        kind=record.subject_kind,
        name=None,
        mutate=mutate,
        reason=f"objection {'upheld' if upheld else 'rejected'}: {reason}",
        extra_events=closed,
        record_id=record.record_id,
    )
    metrics.OBJECTIONS.labels("upheld" if upheld else "rejected").inc()
    metrics.OBJECTIONS_OPEN.dec()
    return changed[0]


async def apply_for_repair(
    deps: Deps, record_id: str, principal: Principal, rectification: str, evidence: list[str]
) -> CreditRecord:
    record = await _load(deps, record_id)
    if not _is_subject(principal, record):
        raise Forbidden("only the subject of a record may apply for its repair")
    now = deps.clock.now()

    def mutate(records: list[CreditRecord]) -> tuple[list[CreditRecord], list[CreditRecord]]:
        current = _replace(record_id, records)
        changed = current.apply_for_repair(
            actor=principal.subject,
            rectification=rectification,
            evidence=evidence,
            at=now,
            earliest=earliest_repair(current, deps.rules),
        )
        return [], [changed]

    _, changed = await change_subject(
        deps,
        subject_id=record.subject_id,
        kind=record.subject_kind,
        name=None,
        mutate=mutate,
        reason="repair applied for",
        record_id=record_id,
    )
    metrics.REPAIRS.labels("applied").inc()
    return changed[0]


async def decide_repair(
    deps: Deps, record_id: str, principal: Principal, *, approved: bool, reason: str
) -> CreditRecord:
    record = await _load(deps, record_id)
    if not principal.has_any(*DECIDE_REPAIR_ROLES):
        raise Forbidden(f"requires one of the roles: {', '.join(DECIDE_REPAIR_ROLES)}")
    department = credit_department(deps, record)
    if not principal.has_any("admin") and principal.department != department:
        raise Forbidden(f"repairs of this record are decided by {department}")
    now = deps.clock.now()

    def mutate(records: list[CreditRecord]) -> tuple[list[CreditRecord], list[CreditRecord]]:
        current = _replace(record_id, records)
        changed = current.decide_repair(
            approved=approved, actor=principal.subject, reason=reason, at=now
        )
        return [], [changed]

    _, changed = await change_subject(
        deps,
        subject_id=record.subject_id,
        kind=record.subject_kind,
        name=None,
        mutate=mutate,
        reason=f"repair {'approved' if approved else 'refused'}: {reason}",
        record_id=record_id,
    )
    metrics.REPAIRS.labels("approved" if approved else "refused").inc()
    return changed[0]


async def recompute_objection_deadlines(deps: Deps) -> int:
    """After a holiday schedule is published: each open objection whose deadline was provisional
    counted again from its filing and limit; ``deadline.changed`` where it moved."""
    moved = 0
    for record in await deps.store.records_with_open_objection():
        try:
            moved += await _recompute_objection(deps, record)
        except Exception:  # noqa: BLE001 - one record must not stop the others
            log.exception("objection deadline of record %s not recomputed", record.record_id)
    return moved


async def _recompute_objection(deps: Deps, record: CreditRecord) -> bool:
    """Counted again inside the subject's optimistic transaction, on what is stored then."""
    if not _needs_recompute(deps, record.open_objection):
        return False
    now = deps.clock.now()
    changes: list[DeadlineChanged] = []

    def mutate(records: list[CreditRecord]) -> tuple[list[CreditRecord], list[CreditRecord]]:
        changes.clear()
        current = _replace(record.record_id, records)
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

    await change_subject(
        deps,
        subject_id=record.subject_id,
        kind=record.subject_kind,
        name=None,
        mutate=mutate,
        reason="objection deadline recomputed",
        extra_events=changed_event,
        record_id=record.record_id,
    )
    return any(c.old_due_at != c.new_due_at for c in changes)


def _needs_recompute(deps: Deps, objection: Objection | None) -> bool:
    return (
        objection is not None
        and objection.limit is not None
        and objection.due_provisional
        and deps.calendar.superseded(objection.due_calendar)
    )
