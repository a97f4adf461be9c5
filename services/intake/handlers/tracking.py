"""What intake learns of a case's progress from approval's events, and what the applicant sees."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from services.intake.domain import CaseRecord
from services.intake.domain import progress as rules
from services.intake.domain.licence_documents import owe_document
from services.intake.domain.owed import owed_in_supplement, owed_view
from services.intake.handlers.access import open_case
from services.intake.handlers.audit import applicant_actor, linked
from services.intake.handlers.deps import SOURCE, Deps
from services.intake.handlers.licences import licence_events, try_licence_document
from services.intake.handlers.materials import (
    release_uploads,
    supplement_materials,
    upload_ids,
)
from shared.auth import Principal
from shared.contracts import (
    CaseDecided,
    CaseSupplemented,
    CreditChanged,
    DeadlineChanged,
    Envelope,
    Material,
    PreReviewDone,
    StageClosed,
    StageOpened,
    StageResumed,
    StageSuspended,
    make_envelope,
)
from shared.errors import StaleVersion

log = logging.getLogger(__name__)


async def update_case(
    deps: Deps,
    case_id: str,
    change: Callable[[CaseRecord], CaseRecord],
    events: Callable[[CaseRecord], list[Envelope]] = lambda _: [],
    *,
    actor: str,
    causation: Envelope | None = None,
    attempts: int = 5,
) -> CaseRecord | None:
    """Read, change and save a case with optimistic concurrency; None for an unknown case.
    New timeline entries are linked into the case's audit chain as done by ``actor``."""
    for _ in range(attempts):
        case = await deps.store.get_case(case_id)
        if case is None:
            return None
        updated = change(case)
        if updated is case:
            return case  # nothing to do (already applied)
        updated, checkpoints = linked(deps, updated, actor=actor, causation=causation)
        try:
            await deps.store.save_case(updated, events(updated) + checkpoints)
        except StaleVersion:
            continue
        return updated
    raise StaleVersion(f"case {case_id} kept changing; giving up after {attempts} attempts")


async def _apply(
    deps: Deps,
    envelope: Envelope,
    case_id: str,
    change: Callable[[CaseRecord], CaseRecord],
    *,
    officer: str | None = None,
) -> None:
    """A step approval reported: done by its officer where the event names one, else by the
    (authenticated) service that published it."""
    actor = officer or envelope.source
    if await update_case(deps, case_id, change, actor=actor, causation=envelope) is None:
        # Stages on egov.stages also track credit objections and cases of other intakes.
        log.debug("event for case %s not registered here; ignored", case_id)


async def on_prereview_done(deps: Deps, envelope: Envelope, data: PreReviewDone) -> None:
    await _apply(
        deps,
        envelope,
        data.case_id,
        lambda c: rules.on_prereview(
            c,
            event_id=envelope.id,
            outcome=data.outcome,
            reasons=data.reasons,
            requested=data.requested_materials,
            at=data.decided_at,
        ),
        officer=data.officer,
    )


async def on_stage_opened(deps: Deps, envelope: Envelope, data: StageOpened) -> None:
    await _apply(
        deps,
        envelope,
        data.case_id,
        lambda c: rules.on_stage_opened(
            c,
            event_id=envelope.id,
            stage_id=data.stage_id,
            stage=data.stage,
            name=data.name,
            department=data.department,
            due_at=data.due_at,
            at=data.opened_at,
            due_provisional=data.due_provisional,
            limit=data.limit,
        ),
    )


async def on_stage_closed(deps: Deps, envelope: Envelope, data: StageClosed) -> None:
    await _apply(
        deps,
        envelope,
        data.case_id,
        lambda c: rules.on_stage_closed(
            c,
            event_id=envelope.id,
            stage_id=data.stage_id,
            stage=data.stage,
            outcome=data.outcome,
            reason=data.reason,
            at=data.closed_at,
        ),
        officer=data.officer,
    )


async def on_stage_suspended(deps: Deps, envelope: Envelope, data: StageSuspended) -> None:
    await _apply(
        deps,
        envelope,
        data.case_id,
        lambda c: rules.on_stage_suspended(
            c,
            event_id=envelope.id,
            stage_id=data.stage_id,
            reason=data.reason,
            at=data.suspended_at,
            ends_by=deps.calendar.deadline(data.suspended_at, data.max_length)
            if data.max_length
            else None,
        ),
    )


async def on_stage_resumed(deps: Deps, envelope: Envelope, data: StageResumed) -> None:
    await _apply(
        deps,
        envelope,
        data.case_id,
        lambda c: rules.on_stage_resumed(
            c,
            event_id=envelope.id,
            stage_id=data.stage_id,
            due_at=data.due_at,
            at=data.resumed_at,
            due_provisional=data.due_provisional,
            running_since=data.clock_resumed_at,
        ),
    )


async def on_deadline_changed(deps: Deps, envelope: Envelope, data: DeadlineChanged) -> None:
    """Approval counted a stage's deadline again on a newly published holiday schedule."""
    if data.kind != "stage" or data.stage_id is None:
        return  # rectifications are intake's own; objections are the credit service's
    stage_id = data.stage_id
    await _apply(
        deps,
        envelope,
        data.case_id,
        lambda c: rules.on_deadline_changed(
            c,
            event_id=envelope.id,
            stage_id=stage_id,
            due_at=data.new_due_at,
            due_provisional=data.due_provisional,
            at=data.changed_at,
        ),
    )


async def on_case_decided(deps: Deps, envelope: Envelope, data: CaseDecided) -> None:
    """The decision, recorded whatever the object store does; a licence it revokes is published
    with it, one it issues is written to the registry (again on a redelivery: idempotent) and
    announced once its PDF is stored (handlers/licences.py)."""

    def decided(c: CaseRecord) -> CaseRecord:
        after = rules.on_decided(
            c,
            event_id=envelope.id,
            decision=data.decision,
            reasons=data.reasons,
            at=data.decided_at,
            licence_ref=data.licence_ref,
        )
        return owe_document(c, after, at=data.decided_at)

    case = await update_case(
        deps,
        data.case_id,
        decided,
        lambda c: licence_events(c, data, envelope),
        actor=envelope.source,
        causation=envelope,
    )
    if case is not None and case.licence is not None:
        await deps.store.save_licence(case.licence)
    await try_licence_document(deps, case)


async def on_credit_changed(deps: Deps, envelope: Envelope, data: CreditChanged) -> None:
    """Remembered so a submission can fall back on it when the credit service is down."""
    await deps.store.remember_credit(data)


def view_of(deps: Deps, case: CaseRecord) -> dict[str, Any]:
    view = rules.tracking_view(
        case,
        now=deps.clock.now(),
        calendar=deps.calendar,
        policy=deps.settings.warning_policy(),
    )
    return {**view, **owed_view(case)}  # accept-with-gaps: what is still owed, by when


async def track_case(
    deps: Deps, case_id: str, *, code: str | None, principal: Principal | None
) -> dict[str, Any]:
    case = await open_case(deps, case_id, code=code, principal=principal, officers=True)
    return view_of(deps, case)


async def add_supplement(
    deps: Deps,
    case_id: str,
    materials: list[Material],
    *,
    code: str | None,
    principal: Principal | None,
) -> dict[str, Any]:
    """The applicant answers a supplement request (补正); approval hears CaseSupplemented."""
    case = await open_case(deps, case_id, code=code, principal=principal)
    materials = await supplement_materials(deps, case, materials)
    now = deps.clock.now()

    def events(updated: CaseRecord) -> list[Envelope]:
        data = CaseSupplemented(case_id=case_id, materials=materials, supplemented_at=now)
        return [make_envelope(data, source=SOURCE, time=now)]

    try:
        updated = await update_case(
            deps,
            case_id,
            lambda c: owed_in_supplement(
                rules.on_supplemented(c, materials=materials, at=now), materials
            ),
            events,
            actor=applicant_actor(principal),
        )
    except BaseException:
        await release_uploads(deps, upload_ids(materials), case_id)
        raise
    deps.wake()
    assert updated is not None
    return view_of(deps, updated)
