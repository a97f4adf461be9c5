"""Subjects (persons, entities, departments): identifier rules, the per-subject summary, and new
records from incidents."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from services.credit.domain.records import (
    CreditRecord,
    HistoryEntry,
    Status,
)
from services.credit.domain.rules import RuleModel, Standing, publicity_until
from shared.contracts.common import Severity, SubjectKind
from shared.identifiers import resident_id_error, uscc_error

_ASCII_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def normalise_subject_id(subject_id: str) -> str:
    return subject_id.strip().translate(_ASCII_UPPER)


def subject_id_error(
    kind: SubjectKind, subject_id: str, departments: Collection[str]
) -> str | None:
    """Why ``subject_id`` is not a valid identifier of a ``kind`` subject, or None."""
    value = normalise_subject_id(subject_id)
    if kind == SubjectKind.PERSON:
        error = resident_id_error(value)
        return None if error is None else f"subject_id is not a resident ID number: {error}"
    if kind == SubjectKind.ENTITY:
        error = uscc_error(value)
        return None if error is None else f"subject_id is not a social credit code: {error}"
    if value not in departments:
        return f"subject_id {value!r} is not a known department code"
    return None


def guess_kind(subject_id: str, departments: Collection[str]) -> SubjectKind | None:
    """The kind whose identifier rules ``subject_id`` satisfies (for lookups by id alone)."""
    for kind in (SubjectKind.PERSON, SubjectKind.ENTITY, SubjectKind.DEPARTMENT):
        if subject_id_error(kind, subject_id, departments) is None:
            return kind
    return None


def record_region(
    kind: SubjectKind, subject_id: str, region: str | None, default_region: str
) -> str:
    if region:
        return region
    if kind == SubjectKind.DEPARTMENT:
        return subject_id[:6]
    return default_region


class Subject(BaseModel):
    """One document per subject; ``version`` guards concurrent changes (optimistic)."""

    model_config = ConfigDict(frozen=True)

    subject_id: str
    subject_kind: SubjectKind
    subject_name: str | None = None
    version: int = 0
    score: float
    level: str
    red_list: bool
    black_list: bool
    updated_at: datetime | None = None

    def with_standing(self, standing: Standing, at: datetime) -> Subject:
        return self.model_copy(
            update={
                "version": self.version + 1,
                "score": standing.score,
                "level": standing.level,
                "red_list": standing.red_list,
                "black_list": standing.black_list,
                "updated_at": at,
            }
        )

    def standing_differs(self, standing: Standing) -> bool:
        return (self.level, self.red_list, self.black_list) != (
            standing.level,
            standing.red_list,
            standing.black_list,
        )


def new_subject(
    subject_id: str, kind: SubjectKind, name: str | None, standing: Standing
) -> Subject:
    """A subject not stored yet: version 0 with the standing it had before any record."""
    return Subject(
        subject_id=subject_id,
        subject_kind=kind,
        subject_name=name,
        version=0,
        score=standing.score,
        level=standing.level,
        red_list=standing.red_list,
        black_list=standing.black_list,
    )


def new_record(
    *,
    record_id: str,
    origin_key: str,
    subject_id: str,
    subject_kind: SubjectKind,
    subject_name: str | None,
    record_type: str,
    severity: Severity,
    source_system: str,
    evidence: list[str],
    description: str | None,
    case_id: str | None,
    region: str,
    occurred_at: datetime,
    now: datetime,
    rules: RuleModel,
) -> CreditRecord:
    return CreditRecord(
        record_id=record_id,
        origin_key=origin_key,
        subject_id=subject_id,
        subject_kind=subject_kind,
        subject_name=subject_name,
        record_type=record_type,
        severity=severity,
        source_system=source_system,
        evidence=evidence,
        description=description,
        case_id=case_id,
        region=region,
        department=subject_id if subject_kind == SubjectKind.DEPARTMENT else None,
        occurred_at=occurred_at,
        recorded_at=now,
        publicity_until=publicity_until(occurred_at, severity, rules),
        status=Status.ACTIVE,
        history=[
            HistoryEntry(
                at=now,
                action="recorded",
                status_to=Status.ACTIVE,
                actor=source_system,
                reason=description,
            )
        ],
    )
