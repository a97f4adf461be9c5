"""A stage's timer fired: its next light, rung or finding, or a suspension past its maximum."""

from __future__ import annotations

from services.monitor import domain as d
from services.monitor.handlers.deps import Deps
from services.monitor.handlers.settle import settle
from shared.contracts import derived_event_id


async def on_timer(deps: Deps, case_id: str, stage_id: str) -> None:
    msg = deps.msg
    rec = deps.store.get(case_id)
    stage = None if rec is None else rec.stage(stage_id)
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
            await settle(deps, rec, resumed, None)
            return
        await settle(deps, rec, resumed, None, [found], finding_ids=[key])
        return
    if stage.status is d.Status.SUSPENDED:
        # its maximum moved later (a year published since): wait for the new one
        await settle(deps, rec, stage, None)
        return
    if stage.status is not d.Status.OPEN:
        return  # closed since: the firing is moot
    await settle(deps, rec, stage, None)
