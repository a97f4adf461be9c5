"""Credit repair (信用修复): after rectification and the minimum publicity period the subject
applies, the credit office of the record's region decides."""

from __future__ import annotations

from services.credit import metrics
from services.credit.domain import CreditRecord, earliest_repair
from services.credit.handlers.deps import Deps
from services.credit.handlers.errors import Forbidden
from services.credit.handlers.records import current_record, is_record_subject, load_record
from services.credit.handlers.subjects import change_record_subject, credit_department
from shared.auth import Principal

DECIDE_REPAIR_ROLES = ("supervisor", "admin", "approver", "reviewer")


async def apply_for_repair(
    deps: Deps, record_id: str, principal: Principal, rectification: str, evidence: list[str]
) -> CreditRecord:
    record = await load_record(deps, record_id)
    if not is_record_subject(principal, record):
        raise Forbidden("only the subject of a record may apply for its repair")
    now = deps.clock.now()

    def mutate(records: list[CreditRecord]) -> tuple[list[CreditRecord], list[CreditRecord]]:
        current = current_record(record_id, records)
        changed = current.apply_for_repair(
            actor=principal.subject,
            rectification=rectification,
            evidence=evidence,
            at=now,
            earliest=earliest_repair(current, deps.rules),
        )
        return [], [changed]

    changed = await change_record_subject(
        deps,
        record,
        mutate=mutate,
        reason="repair applied for",
    )
    metrics.REPAIRS.labels("applied").inc()
    return changed[0]


async def decide_repair(
    deps: Deps, record_id: str, principal: Principal, *, approved: bool, reason: str
) -> CreditRecord:
    record = await load_record(deps, record_id)
    if not principal.has_any(*DECIDE_REPAIR_ROLES):
        raise Forbidden(f"requires one of the roles: {', '.join(DECIDE_REPAIR_ROLES)}")
    department = credit_department(deps, record)
    if not principal.has_any("admin") and principal.department != department:
        raise Forbidden(f"repairs of this record are decided by {department}")
    now = deps.clock.now()

    def mutate(records: list[CreditRecord]) -> tuple[list[CreditRecord], list[CreditRecord]]:
        current = current_record(record_id, records)
        changed = current.decide_repair(
            approved=approved, actor=principal.subject, reason=reason, at=now
        )
        return [], [changed]

    changed = await change_record_subject(
        deps,
        record,
        mutate=mutate,
        reason=f"repair {'approved' if approved else 'refused'}: {reason}",
    )
    metrics.REPAIRS.labels("approved" if approved else "refused").inc()
    return changed[0]
