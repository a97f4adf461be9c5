"""Events from intake: a submitted case opens for pre-review, a supplement resumes its stage,
owed material (容缺) lifts the hold."""

from __future__ import annotations

import logging

from services.approval import metrics
from services.approval.domain import apply_supplement, open_case
from services.approval.domain.owed import supply_owed
from services.approval.handlers.deps import Deps
from services.approval.handlers.transitions import audited, count_events
from shared.contracts import CaseSubmitted, CaseSupplemented, Envelope, OwedMaterialsSupplied
from shared.kafka import PermanentError

log = logging.getLogger(__name__)


async def on_case_submitted(deps: Deps, envelope: Envelope, data: CaseSubmitted) -> None:
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
    entries, envelopes = audited(deps, tr, None, envelope)
    # A replay is refused by the insert itself (the case id is unique): no read before it.
    if await deps.store.create(tr.case, entries, envelopes):
        if tr.case.findings:
            metrics.PREREVIEW_FINDINGS.labels(tr.case.department).inc()
        count_events(tr)
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
    entries, envelopes = audited(deps, tr, case, envelope)
    await deps.store.update(tr.case, case.version, entries, envelopes)
    count_events(tr)
    deps.wake()


async def on_owed_supplied(deps: Deps, envelope: Envelope, data: OwedMaterialsSupplied) -> None:
    """Owed material (容缺) arrived through intake: the hold lifts once nothing is owed."""
    case = await deps.store.get(data.case_id)
    if case is None:
        raise PermanentError(f"owed material for unknown case {data.case_id}")
    tr = supply_owed(case, data, now=deps.clock.now(), calendar=deps.calendar)
    if not tr.changed:
        log.info("owed material for case %s ignored: nothing owed or the case ended", case.case_id)
        return
    entries, envelopes = audited(deps, tr, case, envelope)
    await deps.store.update(tr.case, case.version, entries, envelopes)
    count_events(tr)
    deps.wake()
