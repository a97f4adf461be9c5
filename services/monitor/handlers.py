"""One async function per incoming event (and per timer firing), plus the HANDLERS table.

Every handler publishes what it derived (acknowledged by the broker) BEFORE it writes the case
record, so a crash in between replays the event and republishes the same derived ids.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.monitor import domain as d
from services.monitor import metrics as m
from services.monitor.ports import CaseRecord, CaseStore, Publisher, Scheduler, StatsStore
from shared.contracts import (
    CASE_CLOCKS,
    CaseDecided,
    CaseRated,
    CreditIncident,
    DeadlineChanged,
    Envelope,
    EventData,
    PreReviewDone,
    RectificationClosed,
    RectificationOpened,
    StageClosed,
    StageOpened,
    StageOverdue,
    StageResumed,
    StageSignedIn,
    StageSuspended,
    StageWarned,
    SupervisionEscalated,
    SupervisionFinding,
    derived_event_id,
    make_envelope,
)

SOURCE = "/egov/monitor"
TIMER_FIELD = "t"
SATISFIED = {"very_satisfied", "satisfied", "basically_satisfied"}


async def _no_wait(version: str) -> None:
    return None


@dataclass
class Deps:
    store: CaseStore
    stats: StatsStore
    publisher: Publisher
    scheduler: Scheduler
    calendar: d.Calendar
    warning: d.WarningPolicy
    ladders: d.LadderPolicy
    findings: d.FindingPolicy
    # Waits (briefly) until this process runs the calendar version an event was computed on.
    calendar_in_step: Callable[[str], Awaitable[None]] = _no_wait


@dataclass(frozen=True)
class Incoming:
    """Where and when a message arrived: its partition, the processing instant, its arrival."""

    partition: int
    now: datetime
    arrived_at: datetime


def _labels(stage: d.StageState) -> dict[str, str]:
    return {"department": stage.department, "item_code": stage.item_code, "region": stage.region}


def _record(deps: Deps, case_id: str, partition: int) -> CaseRecord:
    return deps.store.get(case_id) or {"p": partition, "case_id": case_id, "stages": {}}


def _stage(rec: CaseRecord, stage_id: str) -> d.StageState | None:
    raw = rec["stages"].get(stage_id)
    return None if raw is None else d.StageState.model_validate(raw)


def _put(rec: CaseRecord, stage: d.StageState, due: datetime | None) -> None:
    raw = stage.model_dump(mode="json", exclude_defaults=True)
    if due is not None:
        raw[TIMER_FIELD] = due.timestamp()  # lets a rebuild index timers without parsing stages
    rec["stages"][stage.stage_id] = raw


def _alert_id(stage: d.StageState, *parts: str) -> str:
    """Deterministic per stage and alert cycle; the first cycle keeps the ids it always had."""
    cycle = (f"gen{stage.gen}",) if stage.gen else ()
    return derived_event_id(stage.stage_id, *parts, *cycle)


def _alert(stage: d.StageState, t: d.Transition, now: datetime, cause: Envelope | None) -> Envelope:
    cls = StageWarned if t.kind == "yellow" else StageOverdue
    data = cls(
        case_id=stage.case_id,
        stage_id=stage.stage_id,
        stage=stage.stage,
        item_code=stage.item_code,
        department=stage.department,
        region=stage.region,
        assignee=stage.assignee,
        due_at=stage.due_at,
        light=t.kind,
        at=t.at,
        due_provisional=stage.due_provisional,
    )
    return make_envelope(
        data, source=SOURCE, time=now, id=_alert_id(stage, t.kind), causation=cause
    )


def _rung(
    stage: d.StageState, t: d.Transition, now: datetime, cause: Envelope | None
) -> list[Envelope]:
    assert t.rung is not None
    rung_id = _alert_id(stage, "rung", str(t.number))
    escalated = SupervisionEscalated(
        case_id=stage.case_id,
        stage_id=stage.stage_id,
        stage=stage.stage,
        item_code=stage.item_code,
        department=stage.department,
        region=stage.region,
        rung=t.number,
        recipients=list(t.rung.recipients),
        assignee=stage.assignee,
        card=t.rung.card,
        credit_incident=t.rung.credit_incident,
        due_at=stage.due_at,
        escalated_at=t.at,
        due_provisional=stage.due_provisional,
    )
    out = [make_envelope(escalated, source=SOURCE, time=now, id=rung_id, causation=cause)]
    if t.rung.credit_incident:
        incident = CreditIncident(
            subject_id=stage.department,
            subject_kind="department",
            incident_type="overdue_escalation",
            severity="serious",
            source_system="egov-monitor",
            evidence=[rung_id],
            description=f"{stage.stage} stage still open {t.rung.after_working_days:g} "
            "working days after its deadline",
            case_id=stage.case_id,
            stage_id=stage.stage_id,
            region=stage.region,
            occurred_at=t.at,
        )
        out.append(
            make_envelope(
                incident,
                source=SOURCE,
                time=now,
                id=_alert_id(stage, "rung", str(t.number), "credit"),
                causation=cause,
            )
        )
    return out


def _finding_envelope(
    f: d.Finding,
    stage: d.StageState,
    now: datetime,
    cause: Envelope | None,
    key: str | None = None,
) -> Envelope:
    data = SupervisionFinding(
        case_id=stage.case_id,
        stage_id=stage.stage_id,
        assignee=stage.assignee,
        kind=f.kind,
        detail=f.detail,
        department=stage.department,
        region=stage.region,
        item_code=stage.item_code or None,
        # A timer's finding is dated at its rule's instant, an event's at the event's time: a
        # replay after a crash derives the same id and must carry the same content.
        found_at=f.at or (cause.time if cause is not None else now),
    )
    # One finding per stage, kind and triggering event: a replay derives the same id.
    key = key or derived_event_id(stage.stage_id, "finding", f.kind, cause.id if cause else "")
    return make_envelope(data, source=SOURCE, time=now, id=key, causation=cause)


async def settle(
    deps: Deps,
    msg: Incoming,
    rec: CaseRecord,
    stage: d.StageState,
    cause: Envelope | None,
    findings: list[d.Finding] | None = None,
    *,
    at: datetime | None = None,
    then: Callable[[d.StageState], d.StageState] | None = None,
    finding_ids: list[str] | None = None,
) -> None:
    """Fire what is due by ``at`` (default now), publish it with the findings, apply ``then``,
    store the stage and schedule its next timer."""
    ladder = deps.ladders.ladder_for(stage.department, stage.item_code, stage.stage)
    stage, unsigned = d.not_signed_in(stage, msg.now)
    if unsigned is not None:
        findings = [*(findings or []), unsigned]
    stage, fired = d.advance(stage, min(at or msg.now, msg.now), ladder, deps.calendar)
    if then is not None:
        stage = then(stage)
    out: list[Envelope] = []
    for t in fired:
        out.extend(
            [_alert(stage, t, msg.now, cause)]
            if t.kind != "rung"
            else _rung(stage, t, msg.now, cause)
        )
    for n, f in enumerate(findings or ()):
        key = finding_ids[n] if finding_ids else None
        out.append(_finding_envelope(f, stage, msg.now, cause, key))
    if out:
        await deps.publisher.publish(out)
    labels = _labels(stage)
    for t in fired:
        m.TIMER_DELAY.observe(max(0.0, (msg.now - t.at).total_seconds()))
        if t.kind == "yellow":
            m.WARNED.labels(**labels).inc()
        elif t.kind == "red":
            m.OVERDUE.labels(**labels).inc()
        else:
            m.ESCALATED.labels(**labels, rung=str(t.number)).inc()
    for f in findings or ():
        m.FINDINGS.labels(**labels, kind=f.kind).inc()
    due = d.next_due(stage, ladder, deps.calendar)
    if (
        stage.sign_in_due is not None
        and stage.signed_in_at is None
        and not stage.late_sign_in_found
        and stage.status is d.Status.OPEN
    ):
        due = min(due, stage.sign_in_due) if due is not None else stage.sign_in_due
    _put(rec, stage, due)
    deps.store.put(stage.case_id, rec)
    deps.scheduler.schedule(rec["p"], stage.case_id, stage.stage_id, due)


def _late_entry(deps: Deps, msg: Incoming, claimed: datetime) -> list[d.Finding]:
    f = d.after_the_fact(claimed, msg.arrived_at, deps.findings)
    return [f] if f else []


async def on_stage_opened(deps: Deps, msg: Incoming, env: Envelope, e: StageOpened) -> None:
    rec = _record(deps, e.case_id, msg.partition)
    if e.stage_id in rec["stages"]:
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
    early = rec.get("early", {}).pop(e.stage_id, None)
    if early is None:
        nobody_acts = stage.parallel_parent or stage.case_clock or e.stage.value in STANDALONE
        found = [] if nobody_acts else _late_entry(deps, msg, e.opened_at)
        await settle(deps, msg, rec, stage, env, found)
        return
    # Its closing overtook its opening: supervise it as opened, then closed as recorded.
    closed = d.close(
        stage, datetime.fromisoformat(early["closed_at"]), early["outcome"], early["reason"]
    )
    await _closed(deps, msg, env, rec, closed, _late_entry(deps, msg, e.opened_at))


async def on_rectification_opened(
    deps: Deps, msg: Incoming, env: Envelope, e: RectificationOpened
) -> None:
    rec = _record(deps, e.case_id, msg.partition)
    if e.rectification_id in rec["stages"]:
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
    await settle(deps, msg, rec, stage, env)


async def on_stage_signed_in(deps: Deps, msg: Incoming, env: Envelope, e: StageSignedIn) -> None:
    rec = _record(deps, e.case_id, msg.partition)
    stage = _stage(rec, e.stage_id)
    if stage is None or stage.signed_in_at is not None:
        return
    stage = stage.model_copy(update={"signed_in_at": e.signed_in_at, "assignee": e.officer})
    found = _late_entry(deps, msg, e.signed_in_at)
    late = (
        None  # already found when the sign-in deadline passed
        if stage.late_sign_in_found
        else d.late_sign_in(stage.opened_at, e.signed_in_at, deps.calendar, deps.findings)
    )
    await settle(deps, msg, rec, stage, env, found + ([late] if late else []))


async def on_stage_suspended(deps: Deps, msg: Incoming, env: Envelope, e: StageSuspended) -> None:
    rec = _record(deps, e.case_id, msg.partition)
    stage = _stage(rec, e.stage_id)
    if stage is None:
        return
    # What was due before the suspension still fires; then the clock and the ladder stop.
    await settle(
        deps,
        msg,
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


async def on_stage_resumed(deps: Deps, msg: Incoming, env: Envelope, e: StageResumed) -> None:
    rec = _record(deps, e.case_id, msg.partition)
    stage = _stage(rec, e.stage_id)
    if stage is None:
        return
    if stage.status is not d.Status.SUSPENDED:
        return  # resumed by itself at the suspension's maximum, on the same deadline
    running = e.clock_resumed_at or e.resumed_at
    resumed = d.resume(stage, running, e.due_at, deps.calendar, e.due_provisional)
    await settle(deps, msg, rec, resumed, env)


async def on_deadline_changed(deps: Deps, msg: Incoming, env: Envelope, e: DeadlineChanged) -> None:
    """A deadline counted again on a newly published holiday schedule: re-time the stage from
    the instant the change is processed (see ``domain.change_due`` for the rule)."""
    rec = deps.store.get(e.case_id)
    stage_id = e.rectification_id if e.kind == "rectification" else e.stage_id
    stage = None if rec is None or stage_id is None else _stage(rec, stage_id)
    if rec is None or stage is None:
        return  # closed and forgotten, or never supervised here
    if stage.due_at == e.new_due_at and stage.due_provisional == e.due_provisional:
        return  # a redelivery
    await deps.calendar_in_step(e.calendar_version)
    changed = d.change_due(
        stage, e.new_due_at, msg.now, deps.calendar, due_provisional=e.due_provisional
    )
    await settle(deps, msg, rec, changed, env)


async def _closed(
    deps: Deps,
    msg: Incoming,
    env: Envelope,
    rec: CaseRecord,
    stage: d.StageState,
    found: list[d.Finding],
) -> None:
    if stage.parallel_parent or stage.case_clock:
        found = []  # closed by approval itself: nobody to find fault with
    else:
        for rule in (
            d.closed_red_without_reason(stage),
            d.implausibly_fast(stage, deps.calendar, deps.findings),
        ):
            if rule:
                found.append(rule)
    on_time = d.on_time(stage)
    days = d.handling_working_days(stage, deps.calendar)
    await settle(deps, msg, rec, stage, env, found)
    _forget_if_finished(deps, rec)
    labels = _labels(stage)
    m.CLOSED.labels(**labels, on_time=str(on_time).lower()).inc()
    m.HANDLING_DAYS.labels(**labels).observe(days)
    deps.stats.bump(
        rec["p"],
        stage.department,
        stage.item_code,
        stage.region,
        closed=1,
        on_time=int(on_time),
        handling_days=days,
    )


async def on_stage_closed(deps: Deps, msg: Incoming, env: Envelope, e: StageClosed) -> None:
    rec = _record(deps, e.case_id, msg.partition)
    stage = _stage(rec, e.stage_id)
    if stage is None:
        # Closed before it was seen opened (events out of order): remember how it closed.
        closing = {"closed_at": e.closed_at.isoformat(), "outcome": e.outcome, "reason": e.reason}
        rec.setdefault("early", {})[e.stage_id] = closing
        deps.store.put(e.case_id, rec)
        return
    if stage.status is d.Status.CLOSED:
        return
    closed = d.close(stage, e.closed_at, e.outcome, e.reason)
    await _closed(deps, msg, env, rec, closed, _late_entry(deps, msg, e.closed_at))


async def on_rectification_closed(
    deps: Deps, msg: Incoming, env: Envelope, e: RectificationClosed
) -> None:
    rec = _record(deps, e.case_id, msg.partition)
    stage = _stage(rec, e.rectification_id)
    if stage is None or stage.status is d.Status.CLOSED:
        return
    closed = d.close(stage, e.closed_at, "completed", None)
    await _closed(deps, msg, env, rec, closed, [])


async def on_prereview_done(deps: Deps, msg: Incoming, env: Envelope, e: PreReviewDone) -> None:
    rec = _record(deps, e.case_id, msg.partition)
    pre = next(
        (
            s
            for s in map(d.StageState.model_validate, rec["stages"].values())
            if s.stage == "prereview"
        ),
        None,
    )
    if pre is None:
        return  # the pre-review never opened as a stage here: nothing to measure against
    found = _late_entry(deps, msg, e.decided_at)
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
        await settle(deps, msg, rec, pre, env, found)


async def on_case_decided(deps: Deps, msg: Incoming, env: Envelope, e: CaseDecided) -> None:
    rec = deps.store.get(e.case_id)
    if rec is None:
        if not e.stages_to_follow:
            return  # nothing supervised and nothing to come
        rec = {"p": msg.partition, "case_id": e.case_id, "stages": {}}
    rec["decided"] = True
    follow = set(rec.get("follow", [])) | {k.value for k in e.stages_to_follow}
    rec["follow"] = sorted(follow)
    deps.store.put(e.case_id, rec)
    _forget_if_finished(deps, rec)


# Stages supervised under an id of their own rather than a case's workflow.
STANDALONE = frozenset({"rectification", "objection", "register_answer"})


def finished(rec: CaseRecord) -> bool:
    """Supervision of a case ends when it is decided and every stage is closed, delivery and
    verification included (those the decision said would follow), and no closing waits for its
    opening; a record of standalone stages (rectifications, objections, register answers) ends
    when they are all closed."""
    stages = list(rec["stages"].values())
    if rec.get("early") or any(raw.get("status", "open") != "closed" for raw in stages):
        return False
    if stages and all(raw.get("stage") in STANDALONE for raw in stages):
        return True  # rectifications, objections, register answers: no decision to wait for
    seen = {raw.get("stage") for raw in stages}
    return bool(rec.get("decided")) and set(rec.get("follow", [])) <= seen


def _forget_if_finished(deps: Deps, rec: CaseRecord) -> None:
    if finished(rec):
        deps.store.delete(rec["case_id"])  # the board keeps the aggregates


async def on_case_rated(deps: Deps, msg: Incoming, env: Envelope, e: CaseRated) -> None:
    deps.stats.bump(
        msg.partition,
        e.department,
        e.item_code,
        e.region,
        ratings=1,
        satisfied=int(e.level.value in SATISFIED),
    )


async def on_timer(deps: Deps, msg: Incoming, case_id: str, stage_id: str) -> None:
    rec = deps.store.get(case_id)
    stage = None if rec is None else _stage(rec, stage_id)
    if rec is None or stage is None:
        return  # forgotten since: the firing is moot
    resumed = d.overrun(stage, msg.now, deps.calendar)
    if resumed is not None:
        ends = d.stop_ends(stage, deps.calendar)
        assert ends is not None and stage.suspended_at is not None
        found = d.Finding(
            "suspension_overrun",
            f"suspended {stage.suspended_at.isoformat()} and not resumed by its maximum "
            f"{ends.isoformat()}: supervised again from there",
            at=ends,
        )
        key = derived_event_id(stage.stage_id, "overrun", stage.suspended_at.isoformat())
        if stage.case_clock or stage.parallel_parent:
            # it followed the stops under it: the stage that overran carries the finding
            await settle(deps, msg, rec, resumed, None)
            return
        await settle(deps, msg, rec, resumed, None, [found], finding_ids=[key])
        return
    if stage.status is d.Status.SUSPENDED:
        # its maximum moved later (a year published since): wait for the new one
        await settle(deps, msg, rec, stage, None)
        return
    if stage.status is not d.Status.OPEN:
        return  # closed since: the firing is moot
    await settle(deps, msg, rec, stage, None)


Handler = Callable[[Deps, Incoming, Envelope, Any], Awaitable[None]]

HANDLERS: dict[str, tuple[type[EventData], Handler]] = {
    StageOpened.event_type: (StageOpened, on_stage_opened),
    StageSignedIn.event_type: (StageSignedIn, on_stage_signed_in),
    StageSuspended.event_type: (StageSuspended, on_stage_suspended),
    StageResumed.event_type: (StageResumed, on_stage_resumed),
    StageClosed.event_type: (StageClosed, on_stage_closed),
    PreReviewDone.event_type: (PreReviewDone, on_prereview_done),
    CaseDecided.event_type: (CaseDecided, on_case_decided),
    RectificationOpened.event_type: (RectificationOpened, on_rectification_opened),
    RectificationClosed.event_type: (RectificationClosed, on_rectification_closed),
    CaseRated.event_type: (CaseRated, on_case_rated),
    DeadlineChanged.event_type: (DeadlineChanged, on_deadline_changed),
}
