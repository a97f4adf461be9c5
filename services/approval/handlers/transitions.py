"""What every handler does with a transition: link its timeline entries into the case's audit
chain, build its events' envelopes, count them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.approval import metrics
from services.approval.domain import Case, Transition
from services.approval.handlers.deps import SOURCE, Deps
from shared.audit import ChainHead, append, checkpoint, checkpoint_key
from shared.contracts import (
    CaseDecided,
    CreditIncident,
    Envelope,
    StageClosed,
    StageOpened,
    StageSuspended,
    derived_event_id,
    make_envelope,
)
from shared.observability.logging import correlation_id

AUDIT_CHAIN = "approval.case"  # the kind of chain a case's timeline is (its genesis, checkpoints)


def _envelopes(tr: Transition, causation: Envelope | None) -> list[Envelope]:
    corr = None if causation else correlation_id.get()
    return [
        make_envelope(
            e.data,
            source=SOURCE,
            time=tr.now,
            id=derived_event_id(*e.key),
            correlation_id=corr,
            causation=causation,
        )
        for e in tr.events
    ]


def audit_head(case: Case) -> ChainHead:
    """The head of the case's timeline as stored with the case."""
    return ChainHead(count=case.audit_seq, hash=case.audit_head)


def audited(
    deps: Deps,
    tr: Transition,
    case_before: Case | None,
    causation: Envelope | None,
    *,
    recorded_at: datetime | None = None,
) -> tuple[list[dict[str, Any]], list[Envelope]]:
    """The transition's timeline entries, linked after the stored head under the audit key and
    stamped with the time the platform recorded them (an action entered afterwards carries its
    declared time in its events, never in the audit chain); and its events, with the signed
    checkpoint of the new head when it moved."""
    at = recorded_at or tr.now
    case_id = tr.case.case_id
    before = audit_head(case_before) if case_before else ChainHead.start(AUDIT_CHAIN, case_id)
    bodies = [
        {
            "case_id": case_id,
            "at": at.isoformat(),
            "action": r.action,
            "actor": r.actor,
            "stage_id": r.stage_id,
            "detail": r.detail,
        }
        for r in tr.audit
    ]
    entries, head = append(deps.audit_keys, bodies, head=before)
    tr.case.audit_seq, tr.case.audit_head = head.count, head.hash
    if entries:
        cp = checkpoint(
            deps.audit_keys, chain=AUDIT_CHAIN, chain_id=case_id, head=head, recorded_at=at
        )
        tr.emit(cp, *checkpoint_key(cp)[1:])  # emit puts the case id first
    return entries, _envelopes(tr, causation)


def count_events(tr: Transition) -> None:
    for e in tr.events:
        d = e.data
        if isinstance(d, StageOpened):
            metrics.STAGES_OPENED.labels(d.stage.value, d.department).inc()
        elif isinstance(d, StageClosed):
            metrics.STAGES_CLOSED.labels(d.stage.value, d.department, d.outcome).inc()
        elif isinstance(d, StageSuspended):
            metrics.SUSPENSIONS.labels(d.reason, tr.case.department).inc()
        elif isinstance(d, CaseDecided):
            metrics.DECISIONS.labels(d.decision, d.department, d.item_code).inc()
        elif isinstance(d, CreditIncident):
            metrics.CREDIT_INCIDENTS.labels(tr.case.department).inc()
