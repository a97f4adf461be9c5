"""Events about a stage of a case's workflow: opened, signed in, suspended, resumed, its
deadline changed, closed."""

from __future__ import annotations

from services.monitor import domain as d
from services.monitor.handlers.deps import Deps
from services.monitor.handlers.records import STANDALONE, record_of
from services.monitor.handlers.settle import late_entry, settle, settle_closed
from services.monitor.ports import EarlyClosing
from shared.contracts import (
    CASE_CLOCKS,
    DeadlineChanged,
    Envelope,
    StageClosed,
    StageOpened,
    StageResumed,
    StageSignedIn,
    StageSuspended,
)


async def on_stage_opened(deps: Deps, env: Envelope, e: StageOpened) -> None:
    msg = deps.msg
    rec = record_of(deps, e.case_id, msg.partition)
    if e.stage_id in rec.stages:
        return  # a redelivery: the stage is already supervised
    stage = d.open_stage(
        case_id=e.case_id,
        stage_id=e.stage_id,
        stage=e.stage.value,
        item_code=e.item_code,
        department=e.department,
        region=e.region,
        assignee=e.assignee,
        opened_at=e.opened_at,
        due_at=e.due_at,
        limit=e.limit,
        calendar=deps.calendar,
        policy=deps.warning,
        due_provisional=e.due_provisional,
    ).model_copy(
        update={
            "parallel_parent": e.parallel_mode is not None and e.parent_stage_id is None,
            "parent_stage_id": e.parent_stage_id,
            "case_clock": e.stage in CASE_CLOCKS,
        }
    )
    signs_in = not (stage.parallel_parent or stage.case_clock or e.stage.value in STANDALONE)
    if signs_in and e.assignee is None:
        due = d.sign_in_due(e.opened_at, deps.calendar, deps.findings)
        stage = stage.model_copy(update={"sign_in_due": due})
    early = rec.early.pop(e.stage_id, None)
    if early is None:
        nobody_acts = stage.parallel_parent or stage.case_clock or e.stage.value in STANDALONE
        found = [] if nobody_acts else late_entry(deps, e.opened_at)
        await settle(deps, rec, stage, env, found)
        return
    # Its closing overtook its opening: supervise it as opened, then closed as recorded.
    closed = d.close(stage, early.closed_at, early.outcome, early.reason)
    await settle_closed(deps, env, rec, closed, late_entry(deps, e.opened_at))


async def on_stage_signed_in(deps: Deps, env: Envelope, e: StageSignedIn) -> None:
    msg = deps.msg
    rec = record_of(deps, e.case_id, msg.partition)
    stage = rec.stage(e.stage_id)
    if stage is None or stage.signed_in_at is not None:
        return
    stage = stage.model_copy(update={"signed_in_at": e.signed_in_at, "assignee": e.officer})
    found = late_entry(deps, e.signed_in_at)
    late = (
        None  # already found when the sign-in deadline passed
        if stage.late_sign_in_found
        else d.late_sign_in(stage.opened_at, e.signed_in_at, deps.calendar, deps.findings)
    )
    await settle(deps, rec, stage, env, found + ([late] if late else []))


async def on_stage_suspended(deps: Deps, env: Envelope, e: StageSuspended) -> None:
    msg = deps.msg
    rec = record_of(deps, e.case_id, msg.partition)
    stage = rec.stage(e.stage_id)
    if stage is None:
        return
    # What was due before the suspension still fires; then the clock and the ladder stop.
    await settle(
        deps,
        rec,
        stage,
        env,
        at=e.suspended_at,
        # A supplement wait ends with the case lapsing in approval, never by resuming here.
        then=lambda s: d.suspend(
            s,
            e.suspended_at,
            deps.calendar,
            None if e.reason == "supplement" else e.max_length,
            ends_by=e.ends_by,
        ),
    )


async def on_stage_resumed(deps: Deps, env: Envelope, e: StageResumed) -> None:
    msg = deps.msg
    rec = record_of(deps, e.case_id, msg.partition)
    stage = rec.stage(e.stage_id)
    if stage is None:
        return
    if stage.status is not d.Status.SUSPENDED:
        return  # resumed by itself at the suspension's maximum, on the same deadline
    running = e.clock_resumed_at or e.resumed_at
    resumed = d.resume(stage, running, e.due_at, deps.calendar, e.due_provisional)
    await settle(deps, rec, resumed, env)


async def on_deadline_changed(deps: Deps, env: Envelope, e: DeadlineChanged) -> None:
    """A deadline counted again on a newly published holiday schedule: re-time the stage from
    the instant the change is processed (see ``domain.change_due`` for the rule)."""
    msg = deps.msg
    rec = deps.store.get(e.case_id)
    stage_id = e.rectification_id if e.kind == "rectification" else e.stage_id
    stage = None if rec is None or stage_id is None else rec.stage(stage_id)
    if rec is None or stage is None:
        return  # closed and forgotten, or never supervised here
    if stage.due_at == e.new_due_at and stage.due_provisional == e.due_provisional:
        return  # a redelivery
    await deps.calendar_in_step(e.calendar_version)
    changed = d.change_due(
        stage, e.new_due_at, msg.now, deps.calendar, due_provisional=e.due_provisional
    )
    await settle(deps, rec, changed, env)


async def on_stage_closed(deps: Deps, env: Envelope, e: StageClosed) -> None:
    msg = deps.msg
    rec = record_of(deps, e.case_id, msg.partition)
    stage = rec.stage(e.stage_id)
    if stage is None:
        # Closed before it was seen opened (events out of order): remember how it closed.
        rec.early[e.stage_id] = EarlyClosing(e.closed_at, e.outcome, e.reason)
        deps.store.put(e.case_id, rec)
        return
    if stage.status is d.Status.CLOSED:
        return
    closed = d.close(stage, e.closed_at, e.outcome, e.reason)
    await settle_closed(deps, env, rec, closed, late_entry(deps, e.closed_at))
