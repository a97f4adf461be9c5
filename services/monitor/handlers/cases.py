"""Events about a case as a whole and its rectifications: pre-review done, decided, rated,
rectification opened and closed."""

from __future__ import annotations

from services.monitor import domain as d
from services.monitor.handlers.deps import Deps
from services.monitor.handlers.records import forget_if_finished, record_of
from services.monitor.handlers.settle import late_entry, settle, settle_closed
from services.monitor.ports import CaseRecord
from shared.contracts import (
    CaseDecided,
    CaseRated,
    Envelope,
    PreReviewDone,
    RectificationClosed,
    RectificationOpened,
)

SATISFIED = {"very_satisfied", "satisfied", "basically_satisfied"}


async def on_rectification_opened(deps: Deps, env: Envelope, e: RectificationOpened) -> None:
    msg = deps.msg
    rec = record_of(deps, e.case_id, msg.partition)
    if e.rectification_id in rec.stages:
        return
    stage = d.open_stage(
        kind="rectification",
        case_id=e.case_id,
        stage_id=e.rectification_id,
        stage="rectification",
        item_code=e.item_code,
        department=e.department,
        region=e.region,
        assignee=None,
        opened_at=e.opened_at,
        due_at=e.due_at,
        limit=e.limit,
        calendar=deps.calendar,
        policy=deps.warning,
        due_provisional=e.due_provisional,
    )
    await settle(deps, rec, stage, env)


async def on_rectification_closed(deps: Deps, env: Envelope, e: RectificationClosed) -> None:
    msg = deps.msg
    rec = record_of(deps, e.case_id, msg.partition)
    stage = rec.stage(e.rectification_id)
    if stage is None or stage.status is d.Status.CLOSED:
        return
    closed = d.close(stage, e.closed_at, "completed", None)
    await settle_closed(deps, env, rec, closed, [])


async def on_prereview_done(deps: Deps, env: Envelope, e: PreReviewDone) -> None:
    msg = deps.msg
    rec = record_of(deps, e.case_id, msg.partition)
    pre = next((s for s in rec.states() if s.stage == "prereview"), None)
    if pre is None:
        return  # the pre-review never opened as a stage here: nothing to measure against
    found = late_entry(deps, e.decided_at)
    if e.outcome == "supplement_requested":
        pre = pre.model_copy(update={"supplement_requests": pre.supplement_requests + 1})
        if pre.supplement_requests > 1:  # 一次告知: everything missing is asked for at once
            found.append(
                d.Finding(
                    "repeated_supplement_request",
                    f"supplement request {pre.supplement_requests} for the same case",
                )
            )
    stopped = pre.stopped_s
    if pre.status is d.Status.SUSPENDED and pre.suspended_at is not None:
        stopped += deps.calendar.working_seconds_between(pre.suspended_at, e.decided_at)
    late = d.prereview_late(pre.opened_at, e.decided_at, deps.calendar, deps.findings, stopped)
    if late:
        found.append(late)
    if found or e.outcome == "supplement_requested":
        await settle(deps, rec, pre, env, found)


async def on_case_decided(deps: Deps, env: Envelope, e: CaseDecided) -> None:
    msg = deps.msg
    rec = deps.store.get(e.case_id)
    if rec is None:
        if not e.stages_to_follow:
            return  # nothing supervised and nothing to come
        rec = CaseRecord(case_id=e.case_id, partition=msg.partition)
    rec.decided = True
    rec.follow = sorted(set(rec.follow) | {k.value for k in e.stages_to_follow})
    deps.store.put(e.case_id, rec)
    forget_if_finished(deps, rec)


async def on_case_rated(deps: Deps, env: Envelope, e: CaseRated) -> None:
    msg = deps.msg
    deps.stats.bump(
        msg.partition,
        e.department,
        e.item_code,
        e.region,
        ratings=1,
        satisfied=int(e.level.value in SATISFIED),
    )
