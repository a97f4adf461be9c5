"""Credit look-ups: a subject's level and records, one record, as the caller may see them."""

from __future__ import annotations

from typing import Any

from services.credit.domain import (
    CreditRecord,
    Viewer,
    credit_view,
    evaluate,
    full_record,
    guess_kind,
    is_subject_of,
    normalise_subject_id,
    sees_in_full,
    summary,
    viewer_for,
)
from services.credit.handlers.deps import Deps
from services.credit.handlers.errors import Forbidden, InvalidSubject, NotFound
from shared.auth import Principal


def caller_identity(principal: Principal) -> str | None:
    """Whom the caller is, as a credit subject: the identity its real-name token verified (a
    token's ``sub`` alone proves nothing about a person's ID number)."""
    return principal.real_name.id_number if principal.real_name is not None else None


def is_record_subject(principal: Principal, record: CreditRecord) -> bool:
    return is_subject_of(
        record.subject_id, caller_identity(principal), principal.roles, principal.department
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
        viewer_for(subject_id, caller_identity(principal), principal.roles, principal.department)
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
        record.subject_id, caller_identity(principal), principal.roles, principal.department
    )
    if viewer == Viewer.PUBLIC:
        raise Forbidden("only the subject and officers see a record by id")
    return full_record(record) if sees_in_full(viewer) else summary(record)


async def load_record(deps: Deps, record_id: str) -> CreditRecord:
    record = await deps.store.record(record_id)
    if record is None:
        raise NotFound(f"no credit record {record_id}")
    return record


def current_record(record_id: str, records: list[CreditRecord]) -> CreditRecord:
    found = next((r for r in records if r.record_id == record_id), None)
    if found is None:
        raise NotFound(f"no credit record {record_id}")
    return found
