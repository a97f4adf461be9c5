"""The common path of every handler: fire what is due, publish it with the findings BEFORE
writing the case record (a crash in between replays the event and republishes the same derived
ids), store the stage and schedule its next timer."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from services.monitor import domain as d
from services.monitor import metrics as m
from services.monitor.handlers.alerts import alert, finding_envelope, rung_alerts
from services.monitor.handlers.deps import Deps
from services.monitor.handlers.records import forget_if_finished, labels_of
from services.monitor.ports import CaseRecord
from shared.contracts import Envelope


async def settle(
    deps: Deps,
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
    msg = deps.msg
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
            [alert(stage, t, msg.now, cause)]
            if t.kind != "rung"
            else rung_alerts(stage, t, msg.now, cause)
        )
    for n, f in enumerate(findings or ()):
        key = finding_ids[n] if finding_ids else None
        out.append(finding_envelope(f, stage, msg.now, cause, key))
    if out:
        await deps.publisher.publish(out)
    labels = labels_of(stage)
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
    rec.put_stage(stage, due)
    deps.store.put(stage.case_id, rec)
    deps.scheduler.schedule(rec.partition, stage.case_id, stage.stage_id, due)


def late_entry(deps: Deps, claimed: datetime) -> list[d.Finding]:
    msg = deps.msg
    f = d.after_the_fact(claimed, msg.arrived_at, deps.findings)
    return [f] if f else []


async def settle_closed(
    deps: Deps,
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
    await settle(deps, rec, stage, env, found)
    forget_if_finished(deps, rec)
    labels = labels_of(stage)
    m.CLOSED.labels(**labels, on_time=str(on_time).lower()).inc()
    m.HANDLING_DAYS.labels(**labels).observe(days)
    deps.stats.bump(
        rec.partition,
        stage.department,
        stage.item_code,
        stage.region,
        closed=1,
        on_time=int(on_time),
        handling_days=days,
    )
