"""Deadlines recomputed on a published holiday schedule, on the domain itself (services/approval/
domain/recompute.py): every open provisional deadline is counted again, whatever stage comes
before it; each change is published (`deadline.changed`, keyed by stage and calendar version,
naming the stage's officer) and recorded on the timeline by the system with the old and new
deadline and the version. The case comes from approval's real handlers on fakes."""

from __future__ import annotations

from datetime import timedelta

from services.approval.domain import Action, Case
from services.approval.domain.audit import AuditRecord
from services.approval.domain.recompute import recompute_case
from services.approval.handlers import Deps, on_case_submitted
from shared.calendar import Limit, LimitUnit
from shared.clock import FixedClock
from shared.contracts import DeadlineChanged
from tests.unit.approval.approval_fakes import envelope_of, make_deps, submitted
from tests.unit.approval.test_approval_recompute import DEC_21, FIXTURE_2027, local_day
from tests.unit.approval.test_approval_workflow import APPROVER, HANDLER, REVIEWER, do, signed


async def delivering(deps: Deps, clock: FixedClock) -> Case:
    """Decided on Friday 2026-12-25: the deliver stage (signed in) and the statutory limit are
    due in provisional 2027; the promised limit, in natural days, never is."""
    natural = Limit(value=10, unit=LimitUnit.NATURAL_DAYS)
    data = submitted("C1", at=DEC_21).model_copy(update={"promised_limit": natural})
    await on_case_submitted(deps, envelope_of(data, DEC_21), data)
    await signed(deps, "C1", "prereview", Action.PASS, HANDLER)
    await signed(deps, "C1", "accept", Action.ACCEPT, HANDLER)
    clock.advance(timedelta(days=3))
    await signed(deps, "C1", "review", Action.PASS, REVIEWER)
    clock.advance(timedelta(days=1))
    await signed(deps, "C1", "decide", Action.APPROVE, APPROVER)
    return await do(deps, "C1", "deliver", Action.SIGN_IN, HANDLER)


async def test_every_provisional_deadline_is_recomputed_after_one_that_is_not() -> None:
    clock = FixedClock(DEC_21)
    deps = make_deps(clock)
    case = await delivering(deps, clock)
    order = [s.stage_id for s in case.active_stages()]
    assert order == ["C1:case_promised", "C1:case_statutory", "C1:deliver"]
    assert not case.stages["C1:case_promised"].due_provisional  # first, and left alone
    assert deps.calendar.publish(FIXTURE_2027)
    clock.advance(timedelta(hours=2))

    tr = recompute_case(case, now=clock.now(), calendar=deps.calendar)
    version = deps.calendar.version
    deliver, old = tr.case.stages["C1:deliver"], case.stages["C1:deliver"]
    assert local_day(deliver.due_at).isoformat() == "2027-01-05" and not deliver.due_provisional
    assert not tr.case.stages["C1:case_statutory"].due_provisional
    assert [e.key for e in tr.events] == [
        ("C1", "C1:case_statutory", "deadline", version),
        ("C1", "C1:deliver", "deadline", version),
    ]
    changed = tr.events[-1].data
    assert isinstance(changed, DeadlineChanged)
    assert (changed.assignee, changed.old_due_at, changed.new_due_at) == (
        "h-1",
        old.due_at,
        deliver.due_at,
    )
    assert tr.audit[-1] == AuditRecord(
        action="deadline_changed",
        actor="system",
        stage_id="C1:deliver",
        detail={
            "old_due_at": old.due_at.isoformat(),
            "new_due_at": deliver.due_at.isoformat(),
            "calendar_version": version,
        },
    )
    assert tr.case.version == case.version + 1
