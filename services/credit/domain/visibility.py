"""Who sees what of a subject's credit: the subject and the credit office (the social-credit
department, 发改委) see every record in full; other officers and systems see the standing and the
records in effect as masked summaries (no evidence, no history, no unmasked identifier); the public
sees the standing without the score and the public records, masked."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime
from enum import StrEnum
from typing import Any

from services.credit.domain.records import PUBLIC, CreditRecord
from services.credit.domain.rules import Standing
from shared.contracts.common import SubjectKind
from shared.identifiers import mask_resident_id, mask_text
from shared.roles import OFFICER_ROLES, Role

# Who sees more than the public: officers, admins and other services (shared/roles.py).
READERS = OFFICER_ROLES | {Role.ADMIN, Role.SYSTEM}


# A social-credit department's code ends so (`500000-FGW`); services/credit/handlers/subjects.py
# finds the one of a record's region by it.
CREDIT_DEPARTMENT_SUFFIX = "-FGW"


class Viewer(StrEnum):
    SUBJECT = "subject"  # the subject itself: every record with its history
    CREDIT_OFFICE = "credit_office"  # officers of a social-credit department: every record
    OFFICER = "officer"  # other officers and systems: standing and masked summaries in effect
    PUBLIC = "public"  # anyone else: what is public, identifiers masked


def is_credit_office(roles: Collection[str], department: str | None) -> bool:
    return (
        department is not None
        and department.endswith(CREDIT_DEPARTMENT_SUFFIX)
        and bool(OFFICER_ROLES.intersection(roles))
    )


def is_subject_of(
    subject_id: str, caller: str | None, roles: Collection[str], department: str | None
) -> bool:
    """The caller speaks for the subject: the applicant itself (``caller``: the ID number or
    credit code its real-name token verified), or for a department subject the head of that
    department."""
    if caller is not None and caller.upper() == subject_id and "applicant" in roles:
        return True
    return department == subject_id and "department_head" in roles


def viewer_for(
    subject_id: str, caller: str | None, roles: Collection[str], department: str | None
) -> Viewer:
    if is_subject_of(subject_id, caller, roles, department):
        return Viewer.SUBJECT
    if is_credit_office(roles, department):
        return Viewer.CREDIT_OFFICE
    if READERS.intersection(roles):
        return Viewer.OFFICER
    return Viewer.PUBLIC


def is_public(record: CreditRecord, as_of: datetime) -> bool:
    return record.status in PUBLIC and record.occurred_at <= as_of < record.publicity_until


def is_in_effect(record: CreditRecord, as_of: datetime) -> bool:
    return record.status in PUBLIC and record.occurred_at <= as_of


def masked_subject_id(kind: SubjectKind, subject_id: str) -> str:
    # Entity codes and department codes are public registers; resident ID numbers are not.
    return mask_resident_id(subject_id) if kind == SubjectKind.PERSON else subject_id


def full_record(record: CreditRecord) -> dict[str, Any]:
    """A record as its subject and the credit office see it (internal bookkeeping left out)."""
    return record.model_dump(mode="json", exclude={"origin_key", "audit_seq", "audit_head"})


def sees_in_full(viewer: Viewer) -> bool:
    return viewer in (Viewer.SUBJECT, Viewer.CREDIT_OFFICE)


def summary(record: CreditRecord) -> dict[str, Any]:
    """A record without its evidence and history, identifiers masked: what other officers and
    the public see."""
    return {
        "record_id": record.record_id,
        "subject_id": masked_subject_id(record.subject_kind, record.subject_id),
        "subject_kind": record.subject_kind.value,
        "record_type": record.record_type,
        "severity": record.severity.value,
        "source_system": record.source_system,
        "description": mask_text(record.description) if record.description else None,
        "status": record.status.value,
        "occurred_at": record.occurred_at.isoformat(),
        "publicity_until": record.publicity_until.isoformat(),
    }


def credit_view(
    *,
    subject_id: str,
    kind: SubjectKind | None,
    standing: Standing,
    records: Iterable[CreditRecord],
    viewer: Viewer,
    as_of: datetime,
) -> dict[str, Any]:
    """The body of GET /v1/subjects/{id}/credit for ``viewer``."""
    records = sorted(records, key=lambda r: (r.occurred_at, r.record_id), reverse=True)
    if sees_in_full(viewer):
        shown = [full_record(r) for r in records]
        shown_id = subject_id
    else:
        wanted = is_public if viewer == Viewer.PUBLIC else is_in_effect
        shown = [summary(r) for r in records if wanted(r, as_of)]
        shown_id = masked_subject_id(kind, subject_id) if kind else subject_id
    return {
        "subject_id": shown_id,
        "subject_kind": kind.value if kind else None,
        "level": standing.level,
        "score": standing.score if viewer != Viewer.PUBLIC else None,
        "red_list": standing.red_list,
        "black_list": standing.black_list,
        "as_of": as_of.isoformat(),
        "viewer": viewer.value,
        "records": shown,
    }
