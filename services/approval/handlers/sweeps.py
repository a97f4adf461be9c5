"""Sweeps over many cases: supplement waits that lapsed, deadlines counted again once a year's
holidays are published. One case that fails is logged and retried at the next run."""

from __future__ import annotations

import logging

from services.approval.domain import StaleVersion, lapse_supplement_wait, recompute_case
from services.approval.handlers.deps import Deps
from services.approval.handlers.documents import issue_decision_documents
from services.approval.handlers.transitions import audited, count_events

log = logging.getLogger(__name__)


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
            await issue_decision_documents(deps, tr)
            entries, envelopes = audited(deps, tr, case, None)
            await deps.store.update(tr.case, case.version, entries, envelopes)
            count_events(tr)
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
        entries, envelopes = audited(deps, tr, case, None)
        try:
            await deps.store.update(tr.case, case.version, entries, envelopes)
        except StaleVersion:
            continue
        return tr.changed
    return False
