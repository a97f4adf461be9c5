"""Event and command handlers of the approval service and the routing table (event type ->
handler). Each handler loads the case, applies a pure rule, and writes the new state, its
timeline entries and its events in one transaction through the outbox."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from services.approval import metrics
from services.approval.domain import (
    Action,
    ActionInput,
    ApprovalError,
    Case,
    NotFound,
    Officer,
    Policy,
    StaleVersion,
    Transition,
    act,
    apply_supplement,
    lapse_supplement_wait,
    open_case,
    recompute_case,
)
from services.approval.ports import CaseStore, Clock
from services.approval.settings import ApprovalSettings
from shared.audit import AuditKeys, ChainHead, append, checkpoint, checkpoint_key
from shared.calendar import WorkingCalendar
from shared.calendar.limits import Limit
from shared.contracts import (
    CaseDecided,
    CaseSubmitted,
    CaseSupplemented,
    CreditIncident,
    Envelope,
    StageClosed,
    StageOpened,
    StageSuspended,
    derived_event_id,
    make_envelope,
)
from shared.kafka import Handler, PermanentError
from shared.objectstore import ObjectStore
from shared.observability.logging import correlation_id

log = logging.getLogger(__name__)

SOURCE = "/egov/approval"
AUDIT_CHAIN = "approval.case"  # the kind of chain a case's timeline is (its genesis, checkpoints)


@dataclass
class Deps:
    store: CaseStore
    clock: Clock
    calendar: WorkingCalendar
    settings: ApprovalSettings
    policy: Policy
    audit_keys: AuditKeys
    objects: ObjectStore
    wake: Callable[[], None] = field(default=lambda: None)


def policy_from(settings: ApprovalSettings) -> Policy:
    return Policy(
        prereview_limit=Limit(value=settings.prereview_working_days),
        prereview_role=settings.prereview_role,
        verification_limit=Limit(value=settings.verification_working_days),
        verification_role=settings.verification_role,
        credit_review_limit=Limit(value=settings.credit_review_working_days),
        credit_review_role=settings.credit_review_role,
        suspension_max={k: Limit(value=v) for k, v in settings.suspension_max_working_days.items()},
        supplement_max=Limit(value=settings.supplement_max_working_days),
    )


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


def _audited(
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


def _count(tr: Transition) -> None:
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


async def on_case_submitted(deps: Deps, envelope: Envelope, data: CaseSubmitted) -> None:
    if await deps.store.get(data.case_id) is not None:
        return  # replay: the case and its pre-review already exist
    if not data.stage_plan:
        raise PermanentError(f"case {data.case_id} has an empty stage plan")
    issues_licence = data.issues_licence or (data.item_code in deps.settings.licence_item_codes)
    tr = open_case(
        data,
        now=deps.clock.now(),
        calendar=deps.calendar,
        policy=deps.policy,
        issues_licence=issues_licence,
    )
    entries, envelopes = _audited(deps, tr, None, envelope)
    if await deps.store.create(tr.case, entries, envelopes):
        if tr.case.findings:
            metrics.PREREVIEW_FINDINGS.labels(tr.case.department).inc()
        _count(tr)
        deps.wake()
        log.info("case %s opened for pre-review", data.case_id)


async def on_case_supplemented(deps: Deps, envelope: Envelope, data: CaseSupplemented) -> None:
    case = await deps.store.get(data.case_id)
    if case is None:
        raise PermanentError(f"supplement for unknown case {data.case_id}")
    tr = apply_supplement(case, data, now=deps.clock.now(), calendar=deps.calendar)
    if not tr.changed:
        log.info("supplement for case %s ignored: nothing waits for it", data.case_id)
        return
    entries, envelopes = _audited(deps, tr, case, envelope)
    await deps.store.update(tr.case, case.version, entries, envelopes)
    _count(tr)
    deps.wake()


async def perform_action(
    deps: Deps,
    *,
    case_id: str,
    stage_id: str,
    action: Action,
    officer: Officer,
    params: ActionInput,
    expected_version: int,
) -> Case:
    """An officer's action on a stage; raises an ApprovalError the API turns into 4xx."""
    department = officer.department or "unknown"
    try:
        case = await deps.store.get(case_id)
        if case is None:
            raise NotFound(f"no case {case_id}")
        if ":" not in stage_id:  # short form: /stages/review -> "<case>:review"
            stage_id = f"{case_id}:{stage_id}"
        tr = act(
            case,
            stage_id,
            action,
            officer,
            params,
            expected_version=expected_version,
            now=(recorded_at := deps.clock.now()),
            calendar=deps.calendar,
            policy=deps.policy,
        )
        entries, envelopes = _audited(deps, tr, case, None, recorded_at=recorded_at)
        await deps.store.update(tr.case, case.version, entries, envelopes)
    except ApprovalError as exc:
        metrics.ACTIONS.labels(action.value, department, _outcome_label(exc)).inc()
        raise
    metrics.ACTIONS.labels(action.value, department, "ok").inc()
    _count(tr)
    deps.wake()
    return tr.case


async def lapse_supplement_waits(deps: Deps) -> int:
    """Cases whose applicant did not supplement in time lapse (decided, applicant told)."""
    lapsed = 0
    for case_id in await deps.store.supplement_waits_past(deps.clock.now()):
        try:
            case = await deps.store.get(case_id)
            tr = (
                None
                if case is None
                else lapse_supplement_wait(case, now=deps.clock.now(), calendar=deps.calendar)
            )
            if case is None or tr is None:
                continue
            entries, envelopes = _audited(deps, tr, case, None)
            await deps.store.update(tr.case, case.version, entries, envelopes)
            _count(tr)
            lapsed += 1
        except Exception:  # noqa: BLE001 - one case must not stop the others; retried next run
            log.exception("supplement wait of case %s not lapsed", case_id)
    if lapsed:
        deps.wake()
    return lapsed


async def recompute_deadlines(deps: Deps) -> int:
    """After a holiday schedule is published: every open provisional deadline counted again on
    the calendar in force; returns the number of cases whose deadlines moved."""
    moved = 0
    for case_id in await deps.store.cases_to_recompute(deps.calendar.version):
        try:
            moved += await _recompute_case(deps, case_id)
        except Exception:  # noqa: BLE001 - one case must not stop the others; retried next run
            log.exception("deadlines of case %s not recomputed", case_id)
    if moved:
        deps.wake()
        log.info("calendar %s: deadlines of %d cases recomputed", deps.calendar.version, moved)
    return moved


async def _recompute_case(deps: Deps, case_id: str) -> bool:
    for _attempt in range(5):  # another replica or an officer may write the case meanwhile
        case = await deps.store.get(case_id)
        if case is None:
            return False
        tr = recompute_case(case, now=deps.clock.now(), calendar=deps.calendar)
        if tr.case == case:
            return False  # nothing this process may recompute (or already done)
        entries, envelopes = _audited(deps, tr, case, None)
        try:
            await deps.store.update(tr.case, case.version, entries, envelopes)
        except StaleVersion:
            continue
        return tr.changed
    return False


def _outcome_label(exc: ApprovalError) -> str:
    return {
        "Forbidden": "forbidden",
        "ActionNotAllowed": "conflict",
        "StaleVersion": "stale",
        "InvalidAction": "invalid",
        "NotFound": "not_found",
    }.get(type(exc).__name__, "error")


# Routing table: event type -> handler taking (deps, envelope, data).
HANDLERS: dict[str, Callable[..., Any]] = {
    CaseSubmitted.event_type: on_case_submitted,
    CaseSupplemented.event_type: on_case_supplemented,
}


def make_handlers(deps: Deps) -> dict[str, Handler]:
    return {event_type: partial(fn, deps) for event_type, fn in HANDLERS.items()}
