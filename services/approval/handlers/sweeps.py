"""Sweeps over many cases: supplement waits and owed-material (容缺) deadlines that lapsed,
deadlines counted again once a year's holidays are published. One case that fails is logged
and retried at the next run."""

from __future__ import annotations

import logging
from collections.abc import Callable

from services.approval.domain import (
    Case,
    StaleVersion,
    Transition,
    lapse_supplement_wait,
    recompute_case,
)
from services.approval.domain.owed import lapse_owed
from services.approval.handlers.deps import Deps
from services.approval.handlers.documents import issue_decision_documents
from services.approval.handlers.transitions import audited, count_events
from shared import jobs

log = logging.getLogger(__name__)


async def lapse_supplement_waits(deps: Deps) -> int:
    """Cases whose applicant did not supplement in time lapse (decided, applicant told)."""
    waits = await deps.store.supplement_waits_past(deps.clock.now())
    return await _lapse(
        deps,
        waits,
        lambda case: lapse_supplement_wait(case, now=deps.clock.now(), calendar=deps.calendar),
        what="supplement wait",
    )


async def lapse_owed_materials(deps: Deps) -> int:
    """Cases accepted with gaps (容缺) whose owed material did not come by its deadline end as
    the item says (decided, applicant told, a credit incident where the item provides one)."""
    past = await deps.store.owed_deadlines_past(deps.clock.now())
    return await _lapse(
        deps,
        past,
        lambda case: lapse_owed(
            case, now=deps.clock.now(), calendar=deps.calendar, pol=deps.policy
        ),
        what="owed-material deadline",
    )


async def lapse_waits(deps: Deps) -> int:
    """The lapse sweep: supplement waits and owed-material deadlines."""
    return await lapse_supplement_waits(deps) + await lapse_owed_materials(deps)


async def _lapse(
    deps: Deps,
    case_ids: list[str],
    rule: Callable[[Case], Transition | None],
    *,
    what: str,
) -> int:
    lapsed = 0
    for case_id in case_ids:
        try:
            case = await deps.store.get(case_id)
            tr = None if case is None else rule(case)
            if case is None or tr is None:
                continue
            await issue_decision_documents(deps, tr)
            entries, envelopes = audited(deps, tr, case, None)
            await deps.store.update(tr.case, case.version, entries, envelopes)
            count_events(tr)
            lapsed += 1
        except Exception:  # noqa: BLE001 - one case must not stop the others; retried next run
            log.exception("%s of case %s not lapsed", what, case_id)
    if lapsed:
        deps.wake()
    return lapsed


async def recompute_deadlines(deps: Deps) -> int:
    """After a holiday schedule is published: every open provisional deadline counted again on
    the calendar in force; returns the number of cases whose deadlines moved."""
    moved = await jobs.each(
        await deps.store.cases_to_recompute(deps.calendar.version),
        lambda case_id: _recompute_case(deps, case_id),
        what="recounting the deadlines",
    )
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
        entries, envelopes = audited(deps, tr, case, None)
        try:
            await deps.store.update(tr.case, case.version, entries, envelopes)
        except StaleVersion:
            continue
        return tr.changed
    return False
