"""The work list's clock of a task (services/approval/domain/timing.py, docs/approval.md: each
task's light and `working_days_left`) and a recomputation's input (recompute.py): the days left
are the counted seconds over a whole day of 86,400, to three decimals; recomputing deadlines on
a newly published calendar returns a new case and leaves the one it was given as it was."""

from __future__ import annotations

from datetime import timedelta

from services.approval.domain.recompute import recompute_case
from services.approval.domain.timing import task_clock
from shared.calendar import Limit, LimitUnit, load_default_calendar
from shared.calendar.timing import WarningPolicy
from shared.clock import FixedClock
from tests.unit.approval.approval_fakes import MONDAY_10, make_deps
from tests.unit.approval.test_approval_recompute import FIXTURE_2027
from tests.unit.approval.test_approval_recompute_rules import DEC_21, delivering

CAL = load_default_calendar()


def test_days_left_are_counted_seconds_over_a_day_to_three_decimals() -> None:
    natural = Limit(value=3, unit=LimitUnit.NATURAL_DAYS)
    # 1.000505 days left: 1.001 to three decimals (1.0005 to four; 1.000493 over 86,401 s)
    due = MONDAY_10 + timedelta(days=1.000505)
    clock = task_clock(CAL, natural, MONDAY_10, due, since=MONDAY_10, policy=WarningPolicy())
    assert clock.working_days_left == 1.001
    assert clock.hours_left is None


async def test_a_recomputation_leaves_the_case_it_was_given_as_it_was() -> None:
    clock = FixedClock(DEC_21)
    deps = make_deps(clock)
    case = await delivering(deps, clock)
    before = case.model_dump()
    assert deps.calendar.publish(FIXTURE_2027)
    tr = recompute_case(case, now=clock.now() + timedelta(hours=2), calendar=deps.calendar)
    assert tr.case.stages["C1:deliver"].due_at != case.stages["C1:deliver"].due_at
    assert case.model_dump() == before
