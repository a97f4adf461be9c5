"""The independent check: from everything on the bus (read from the beginning), assert what the
platform promises. Pure: the records, the simulated instant of the check and what the monitor
says is open come in as arguments; violations come out as sentences."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from demo.bus import BusRecord
from shared.contracts import (
    DEAD_LETTER_TOPIC,
    CaseDecided,
    CaseSubmitted,
    CreditIncident,
    NotificationDelivered,
    PreReviewDone,
    StageClosed,
    StageOpened,
    StageOverdue,
    StageResumed,
    StageSuspended,
    SupervisionEscalated,
    model_for,
)


def fingerprint(value: bytes) -> str:
    return hashlib.sha256(value).hexdigest()


@dataclass
class Expectations:
    now: datetime
    # Stage ids the monitor reports as open, by case (GET /v1/stages/{case}).
    monitor_open: Mapping[str, set[str]] = field(default_factory=dict)
    # Fingerprints of the messages deliberately published as bad input.
    meant_bad: set[str] = field(default_factory=set)
    # source_system values of other systems allowed to publish credit incidents.
    external_credit_sources: set[str] = field(default_factory=set)
    # Timer tolerance: a stage closed or suspended this close to its deadline may or may not
    # have been flagged; a stage past due by more than this must have been.
    grace: timedelta = timedelta(hours=2)
    # Real time the monitor may run behind the bus: a stage flagged overdue although it closed
    # before its due is the monitor's fault only when the closing was on the bus (its record's
    # broker timestamp) longer than this before the flag. On an accelerated clock a few seconds
    # of relay or consumer lag are hours of simulated time.
    bus_lag: timedelta = timedelta(seconds=10)
    top_rung: int = 4
    # Only cases in this set are checked when given (None: every case on the bus).
    cases: set[str] | None = None


@dataclass
class _Stage:
    opened: StageOpened
    due: datetime
    suspended_at: datetime | None = None
    closed_at: datetime | None = None
    closed_on_bus_ms: int = -1  # the closing record's broker timestamp (-1: unknown)
    flagged_on_bus_ms: int = -1  # the first overdue record's broker timestamp (-1: unknown)


def _events(records: Iterable[BusRecord], event_type: str) -> list[tuple[str, object]]:
    model = model_for(event_type)
    out: list[tuple[str, object]] = []
    for r in records:
        if r.envelope is not None and r.envelope.type == event_type:
            try:
                out.append((r.envelope.id, model.model_validate(r.envelope.data)))
            except ValueError:
                continue
    return out


def check(records: list[BusRecord], exp: Expectations) -> list[str]:
    """Every invariant's violations, in order: one id one meaning, stage timers, escalations,
    cases, notifications, credit incidents, dead letters."""
    mine = _scope(exp.cases)
    stages = _stages(records, mine)
    overdue_ids: dict[str, set[str]] = defaultdict(set)
    for event_id, d in _events(records, StageOverdue.event_type):
        assert isinstance(d, StageOverdue)
        overdue_ids[d.stage_id].add(event_id)
    # The parent of a parallel stage has no clock of its own: never flagged, never escalated;
    # each department's sub-task is supervised on its own clock.
    parents = {
        stage_id
        for stage_id, s in stages.items()
        if s.opened.parallel_mode is not None and s.opened.parent_stage_id is None
    }
    escalations = {
        event_id: d
        for event_id, d in _events(records, SupervisionEscalated.event_type)
        if isinstance(d, SupervisionEscalated) and mine(d.case_id)
    }
    return [
        *_one_meaning(records),
        *_timers(stages, overdue_ids, parents, exp),
        *_ladder(stages, overdue_ids, parents, escalations),
        *_cases(records, stages, exp, mine),
        *_deliveries(records, mine),
        *_credit_incidents(records, escalations, exp, mine),
        *_dead_letters(records, exp),
    ]


def _scope(wanted: set[str] | None) -> Callable[[str | None], bool]:
    def mine(case_id: str | None) -> bool:
        return wanted is None or (case_id is not None and case_id in wanted)

    return mine


def _one_meaning(records: list[BusRecord]) -> list[str]:
    """1. One id, one meaning: every copy of an event id carries the same type and data."""
    copies: dict[str, set[str]] = defaultdict(set)
    for r in records:
        if r.envelope is not None and r.topic != DEAD_LETTER_TOPIC:
            e = r.envelope
            copies[e.id].add(json.dumps([e.type, e.subject, e.data], sort_keys=True))
    return [
        f"event id {event_id} was published with {len(variants)} different contents"
        for event_id, variants in copies.items()
        if len(variants) > 1
    ]


def _stages(records: list[BusRecord], mine: Callable[[str | None], bool]) -> dict[str, _Stage]:
    """Every stage of the cases in scope with its deadline, suspension and closing as replayed."""
    stages: dict[str, _Stage] = {}
    for _, d in _events(records, StageOpened.event_type):
        assert isinstance(d, StageOpened)
        if mine(d.case_id):
            stages.setdefault(d.stage_id, _Stage(d, d.due_at))
    # A stage may stop and run again more than once: its stops and resumptions are replayed in
    # the order they happened, so the last of them decides whether its clock runs now.
    stops: list[tuple[datetime, int, StageSuspended | StageResumed]] = []
    for _, d in _events(records, StageSuspended.event_type):
        assert isinstance(d, StageSuspended)
        stops.append((d.suspended_at, 0, d))
    for _, d in _events(records, StageResumed.event_type):
        assert isinstance(d, StageResumed)
        stops.append((d.resumed_at, 1, d))
    for _, _, d in sorted(stops, key=lambda c: (c[0], c[1])):
        s = stages.get(d.stage_id)
        if s is None:
            continue
        if isinstance(d, StageSuspended):
            s.suspended_at = d.suspended_at
        else:
            s.suspended_at, s.due = None, d.due_at
    for _, d in _events(records, StageClosed.event_type):
        assert isinstance(d, StageClosed)
        if d.stage_id in stages:
            stages[d.stage_id].closed_at = d.closed_at
    for r in records:  # when each closing and each first flag reached the bus
        e = r.envelope
        stage = stages.get(str(e.data.get("stage_id"))) if e is not None else None
        if stage is None or e is None or r.timestamp_ms < 0:
            continue
        if e.type == StageClosed.event_type:
            stage.closed_on_bus_ms = r.timestamp_ms
        elif e.type == StageOverdue.event_type and stage.flagged_on_bus_ms < 0:
            stage.flagged_on_bus_ms = r.timestamp_ms
    return stages


def _closing_overtaken(s: _Stage, exp: Expectations) -> bool:
    """Whether the stage's closing reached the bus too shortly before its overdue flag (or after
    it) for the monitor to have read it first."""
    if s.closed_on_bus_ms < 0 or s.flagged_on_bus_ms < 0:
        return False
    lag_ms = exp.bus_lag.total_seconds() * 1000
    return s.closed_on_bus_ms > s.flagged_on_bus_ms - lag_ms


def _timers(
    stages: dict[str, _Stage],
    overdue_ids: dict[str, set[str]],
    parents: set[str],
    exp: Expectations,
) -> list[str]:
    """2. Past due -> exactly one overdue id; not flagged well before its due; parents never."""
    v: list[str] = []
    for stage_id, s in stages.items():
        ids = overdue_ids.get(stage_id, set())
        if stage_id in parents:
            if ids:
                v.append(f"parallel stage {stage_id} was flagged overdue: only sub-tasks are")
            continue
        if len(ids) > 1:
            v.append(f"stage {stage_id} was flagged overdue {len(ids)} times with different ids")
        end = s.closed_at or s.suspended_at or exp.now
        if end > s.due + exp.grace and not ids:
            v.append(f"stage {stage_id} ran {end - s.due} past its deadline and was never flagged")
        # Within the grace either way: the closing may reach the monitor after its timer fired;
        # well before the due too, when the closing reached the bus only just before the flag.
        early = end < s.due - exp.grace and s.suspended_at is None
        if early and ids and not _closing_overtaken(s, exp):
            v.append(f"stage {stage_id} was flagged overdue but ended {s.due - end} before its due")
    return v


def _ladder(
    stages: dict[str, _Stage],
    overdue_ids: dict[str, set[str]],
    parents: set[str],
    escalations: dict[str, SupervisionEscalated],
) -> list[str]:
    """2b. Rungs once each and in order, only after overdue, to the stage's own department."""
    v: list[str] = []
    rungs: dict[tuple[str, int], set[str]] = defaultdict(set)
    for event_id, d in escalations.items():
        rungs[(d.stage_id, d.rung)].add(event_id)
    for (stage_id, rung), ids in rungs.items():
        if len(ids) > 1:
            v.append(
                f"rung {rung} of stage {stage_id} appeared {len(ids)} times with different ids"
            )
        if rung > 1 and (stage_id, rung - 1) not in rungs:
            v.append(f"stage {stage_id} reached rung {rung} without rung {rung - 1}")
        if stage_id not in overdue_ids:
            v.append(f"stage {stage_id} was escalated (rung {rung}) but never flagged overdue")
        if stage_id in parents:
            v.append(f"parallel stage {stage_id} was escalated (rung {rung}): only sub-tasks are")
    for event_id, esc in escalations.items():
        opened = stages.get(esc.stage_id)
        if opened is not None and esc.department != opened.opened.department:
            v.append(
                f"escalation {event_id} names department {esc.department}, but stage "
                f"{esc.stage_id} belongs to {opened.opened.department}"
            )
    return v


def _cases(
    records: list[BusRecord],
    stages: dict[str, _Stage],
    exp: Expectations,
    mine: Callable[[str | None], bool],
) -> list[str]:
    """3. Every submitted case has its pre-review outcome, and is decided or has an open stage
    the monitor knows."""
    v: list[str] = []
    submitted = {
        d.case_id
        for _, d in _events(records, CaseSubmitted.event_type)
        if isinstance(d, CaseSubmitted) and mine(d.case_id)
    }
    prereviewed = {
        d.case_id
        for _, d in _events(records, PreReviewDone.event_type)
        if isinstance(d, PreReviewDone)
    }
    decided = {
        d.case_id for _, d in _events(records, CaseDecided.event_type) if isinstance(d, CaseDecided)
    }
    open_by_case: dict[str, set[str]] = defaultdict(set)
    for stage_id, s in stages.items():
        if s.closed_at is None:
            open_by_case[s.opened.case_id].add(stage_id)
    for case_id in sorted(submitted):
        in_prereview = any(sid.endswith(":prereview") for sid in open_by_case.get(case_id, ()))
        if case_id not in prereviewed and not in_prereview:
            v.append(f"case {case_id} has no pre-review outcome and no open pre-review stage")
        if case_id in decided and not open_by_case.get(case_id):
            continue
        known = exp.monitor_open.get(case_id, set())
        missing = open_by_case.get(case_id, set()) - known
        if case_id not in decided and not open_by_case.get(case_id):
            v.append(f"case {case_id} is neither decided nor has an open stage")
        elif missing and case_id not in decided:
            v.append(f"case {case_id}: open stages unknown to the monitor: {sorted(missing)}")
    return v


def _deliveries(records: list[BusRecord], mine: Callable[[str | None], bool]) -> list[str]:
    """4. Each notification key delivered once."""
    deliveries: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for _, d in _events(records, NotificationDelivered.event_type):
        assert isinstance(d, NotificationDelivered)
        if mine(d.case_id):
            deliveries[(d.source_event_id, d.recipient, d.channel)].add(d.notification_id)
    return [
        f"notification {key} was delivered {len(ids)} times"
        for key, ids in deliveries.items()
        if len(ids) > 1
    ]


def _credit_incidents(
    records: list[BusRecord],
    escalations: dict[str, SupervisionEscalated],
    exp: Expectations,
    mine: Callable[[str | None], bool],
) -> list[str]:
    """5. Every credit incident matches its source: the monitor's a top-rung escalation,
    approval's a revoked decision, anyone else's an expected external system."""
    v: list[str] = []
    revoked = {
        d.case_id
        for _, d in _events(records, CaseDecided.event_type)
        if isinstance(d, CaseDecided) and d.decision == "revoked"
    }
    top = {(e.stage_id) for e in escalations.values() if e.rung >= exp.top_rung}
    for event_id, d in _events(records, CreditIncident.event_type):
        assert isinstance(d, CreditIncident)
        if d.source_system == "egov-monitor":
            if d.stage_id not in top and mine(d.case_id):
                v.append(
                    f"credit incident {event_id} from the monitor has no top-rung "
                    f"escalation for {d.stage_id}"
                )
        elif d.source_system == "egov-approval":
            if d.case_id not in revoked and mine(d.case_id):
                v.append(
                    f"credit incident {event_id} from approval has no revoked "
                    f"decision for {d.case_id}"
                )
        elif d.source_system not in exp.external_credit_sources:
            v.append(f"credit incident {event_id} from unexpected source {d.source_system!r}")
    return v


def _dead_letters(records: list[BusRecord], exp: Expectations) -> list[str]:
    """6. The dead-letter topic holds only what was meant to be bad, and all of it."""
    v: list[str] = []
    lettered = set()
    for r in records:
        if r.topic != DEAD_LETTER_TOPIC:
            continue
        fp = fingerprint(r.value)
        lettered.add(fp)
        if fp not in exp.meant_bad:
            v.append(
                f"unexpected dead letter from {r.header('dlq.source.topic')}"
                f"@{r.header('dlq.source.offset')}"
                f" ({r.header('dlq.reason')}: {(r.header('dlq.error') or '')[:200]})"
            )
    missing_bad = exp.meant_bad - lettered
    if missing_bad:
        v.append(
            f"{len(missing_bad)} deliberately bad message(s) never reached the dead-letter topic"
        )
    return v
