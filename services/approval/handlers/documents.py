"""A decision issues its notice: rendered as PDF, stored next to the materials
(documents/<case>/decision-<decision>.pdf) before the decision is written, so the event that
announces the decision already refers to it. A store that does not answer refuses the decision
(ObjectStoreUnavailable: 503 to the officer, the next run for a sweep): a decision without its
notice is not one the applicant can be served."""

from __future__ import annotations

import asyncio

from services.approval.domain import Transition
from services.approval.domain.documents import (
    FOOTER,
    attach_document,
    decision_name,
    decision_notice,
    decisions_of,
)
from services.approval.handlers.deps import Deps
from shared.contracts import DocumentRef
from shared.objectstore import document_key

PDF = "application/pdf"


async def issue_decision_documents(deps: Deps, tr: Transition) -> None:
    for index, decided in decisions_of(tr):
        title, rows = decision_notice(tr.case, decided)
        # CPU-bound (about 1.9 s with a CJK font, most of it parsing the font): off the loop
        issued = await asyncio.to_thread(
            deps.render, title, rows, issued_at=decided.decided_at, footer=FOOTER
        )
        key = document_key(tr.case.case_id, decision_name(decided))
        await deps.objects.put(key, issued.data, content_type=PDF)
        ref = DocumentRef(key=key, sha256=issued.sha256, size=issued.size)
        attach_document(tr, index, ref, at=tr.now)
