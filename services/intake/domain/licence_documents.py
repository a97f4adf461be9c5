"""The PDF an issued e-licence owes (docs/archive.md). The decision that issues a licence is
recorded whether or not the object store answers; from then until its PDF is stored the case
owes it, and ``licence.issued`` is published with the stored PDF, so it always refers to it."""

from __future__ import annotations

from datetime import datetime

from services.intake.domain.case import CaseRecord
from services.intake.domain.licences import LicenceStatus
from shared.contracts.common import DocumentRef


def owe_document(before: CaseRecord, after: CaseRecord, *, at: datetime) -> CaseRecord:
    """The case after a decision, owing the PDF of the licence that decision issued (``at``:
    when it was issued); unchanged when the decision issued none, or was applied before.

    A licence revoked while its PDF is still owed was never announced (``licence.issued``
    waits for the PDF): it owes nothing any more, and is never announced (nor its revocation,
    see ``announced``)."""
    lic = after.licence
    if after.licence_document_owed_since is not None and (
        lic is None or lic.status is not LicenceStatus.VALID
    ):
        return after.model_copy(update={"licence_document_owed_since": None})
    if (
        after is before
        or lic is None
        or lic == before.licence
        or lic.case_id != after.case_id
        or lic.status is not LicenceStatus.VALID
    ):
        return after
    return after.model_copy(update={"licence_document_owed_since": at})


def announced(case: CaseRecord) -> bool:
    """Whether the case's licence was announced: ``licence.issued`` goes out with its stored
    PDF, so a licence without one (revoked while owed) was never told to anyone."""
    return case.licence_document is not None


def document_stored(case: CaseRecord, document: DocumentRef) -> CaseRecord:
    """The case with its licence's PDF stored; unchanged when it owed none (stored already)."""
    if case.licence_document_owed_since is None:
        return case
    return case.model_copy(
        update={"licence_document": document, "licence_document_owed_since": None}
    )


def oldest_age_s(owed_since: list[datetime], now: datetime) -> float:
    """Seconds the longest-owed PDF has been owed (0 when none is)."""
    return max(((now - t).total_seconds() for t in owed_since), default=0.0)
