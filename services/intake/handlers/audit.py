"""A case's timeline as a keyed audit chain (shared/audit): who moved the case, linked under the
audit key with the head on the case, each move of the head checkpointed on the bus."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from services.intake.domain import CaseRecord
from services.intake.domain.bundle_case import BundleApplication
from services.intake.domain.case import TimelineEntry
from services.intake.handlers.deps import SOURCE, Deps
from shared.audit import ChainHead, append_models, checkpoint, checkpoint_event_id
from shared.auth import Principal
from shared.contracts import Envelope, make_envelope

AUDIT_CHAIN = "intake.case"
BUNDLE_AUDIT_CHAIN = "intake.bundle_application"  # a bundle's own steps: its rating, its answer
SYSTEM = SOURCE  # intake's own sweeps (invitations, recomputed deadlines)


def applicant_actor(principal: Principal | None) -> str:
    """An applicant's action: by their own token, or by whoever holds the verification code."""
    return "applicant (token)" if principal is not None else "applicant (verification code)"


def audit_head(case: CaseRecord) -> ChainHead:
    if case.audit_seq == 0:
        return ChainHead.start(AUDIT_CHAIN, case.case_id)
    return ChainHead(count=case.audit_seq, hash=case.audit_head)


def timeline_entries(case: CaseRecord) -> list[dict[str, Any]]:
    """The timeline as the chain hashes it."""
    return [e.model_dump(mode="json") for e in case.timeline]


def _as_stored(at: datetime) -> datetime:
    # The case is stored with BSON dates (UTC, milliseconds): linked as it will read back.
    at = at.astimezone(UTC)
    return at.replace(microsecond=at.microsecond // 1000 * 1000)


def linked(
    deps: Deps, case: CaseRecord, *, actor: str, causation: Envelope | None = None
) -> tuple[CaseRecord, list[Envelope]]:
    """The case with its new timeline entries linked (``actor`` where the rules named none) and
    the signed checkpoint of the new head (none when the timeline did not grow)."""
    timeline, head, events = link_timeline(
        deps,
        case.timeline,
        head=audit_head(case),
        chain=AUDIT_CHAIN,
        chain_id=case.case_id,
        actor=actor,
        causation=causation,
    )
    if not events:
        return case, []
    update = {"timeline": timeline, "audit_seq": head.count, "audit_head": head.hash}
    return case.model_copy(update=update), events


def link_timeline(
    deps: Deps,
    timeline: list[TimelineEntry],
    *,
    head: ChainHead,
    chain: str,
    chain_id: str,
    actor: str,
    causation: Envelope | None = None,
) -> tuple[list[TimelineEntry], ChainHead, list[Envelope]]:
    """A timeline's entries past ``head`` linked into chain ``chain``/``chain_id`` (a case's,
    or a bundle application's) and the signed checkpoint of the new head; nothing new, no
    checkpoint."""
    new = [e.model_copy(update={"at": _as_stored(e.at)}) for e in timeline[head.count :]]
    if not new:
        return timeline, head, []
    entries, head = append_models(deps.audit_keys, new, head=head, defaults={"actor": actor})
    linked_timeline = [
        *timeline[: head.count - len(new)],
        *map(TimelineEntry.model_validate, entries),
    ]
    now = deps.clock.now()
    cp = checkpoint(deps.audit_keys, chain=chain, chain_id=chain_id, head=head, recorded_at=now)
    envelope = make_envelope(
        cp, source=SOURCE, time=now, id=checkpoint_event_id(cp), causation=causation
    )
    return linked_timeline, head, [envelope]


def bundle_audit_head(app: BundleApplication) -> ChainHead:
    if app.audit_seq == 0:
        return ChainHead.start(BUNDLE_AUDIT_CHAIN, app.bundle_id)
    return ChainHead(count=app.audit_seq, hash=app.audit_head)


def linked_bundle(
    deps: Deps, app: BundleApplication, *, actor: str
) -> tuple[BundleApplication, list[Envelope]]:
    """The bundle application with its new steps linked into its own chain, as a case's are."""
    timeline, head, events = link_timeline(
        deps,
        app.timeline,
        head=bundle_audit_head(app),
        chain=BUNDLE_AUDIT_CHAIN,
        chain_id=app.bundle_id,
        actor=actor,
    )
    update = {"timeline": timeline, "audit_seq": head.count, "audit_head": head.hash}
    return app.model_copy(update=update), events
