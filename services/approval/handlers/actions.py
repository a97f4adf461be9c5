"""An officer acts on a stage (sign in, pass, approve, suspend, ...)."""

from __future__ import annotations

from services.approval import metrics
from services.approval.domain import (
    Action,
    ActionInput,
    ApprovalError,
    Case,
    NotFound,
    Officer,
    StaleVersion,
    act,
)
from services.approval.handlers.archive import seal_if_finished
from services.approval.handlers.deps import Deps
from services.approval.handlers.documents import issue_decision_documents
from services.approval.handlers.transitions import audited, count_events


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
        await issue_decision_documents(deps, tr)
        entries, envelopes = audited(deps, tr, case, None, recorded_at=recorded_at)
        await deps.store.update(tr.case, case.version, entries, envelopes)
    except (ApprovalError, StaleVersion) as exc:
        metrics.ACTIONS.labels(action.value, department, _outcome_label(exc)).inc()
        raise
    metrics.ACTIONS.labels(action.value, department, "ok").inc()
    count_events(tr)
    deps.wake()
    await seal_if_finished(deps, tr.case)
    return tr.case


def _outcome_label(exc: ApprovalError | StaleVersion) -> str:
    return {
        "Forbidden": "forbidden",
        "ActionNotAllowed": "conflict",
        "StaleVersion": "stale",
        "InvalidAction": "invalid",
        "NotFound": "not_found",
    }.get(type(exc).__name__, "error")
