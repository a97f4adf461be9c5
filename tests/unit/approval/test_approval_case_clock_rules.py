"""The case's own promised and statutory limits (services/approval/domain/clocks.py), through
approval's real handlers on fakes: acceptance (受理) opens them as stages nobody acts on, named
for the limit and supervised at the department head's level; they close with the case ("case
finished"); and while every open stage is stopped they stop too, as long as the first of those
stops may last, or until a stage runs again when no stop has a maximum."""

from __future__ import annotations

from services.approval.domain import Action, StageState
from tests.unit.approval.approval_fakes import make_deps
from tests.unit.approval.test_approval_workflow import (
    APPROVER,
    HANDLER,
    REVIEWER,
    signed,
    submit,
)

CLOCKS = ("C1:case_promised", "C1:case_statutory")


async def test_acceptance_opens_the_cases_limits_named_and_watched_by_the_department_head() -> None:
    deps = make_deps()
    await submit(deps)
    await signed(deps, "C1", "prereview", Action.PASS, HANDLER)
    case = await signed(deps, "C1", "accept", Action.ACCEPT, HANDLER)
    promised, statutory = (case.stages[c] for c in CLOCKS)
    assert (promised.name, statutory.name) == ("承诺时限", "法定时限")
    assert {promised.required_role, statutory.required_role} == {"department_head"}


async def test_the_cases_limits_close_with_the_case() -> None:
    deps = make_deps()
    await submit(deps)
    await signed(deps, "C1", "prereview", Action.PASS, HANDLER)
    await signed(deps, "C1", "accept", Action.ACCEPT, HANDLER)
    await signed(deps, "C1", "review", Action.PASS, REVIEWER)
    await signed(deps, "C1", "decide", Action.APPROVE, APPROVER)
    case = await signed(deps, "C1", "deliver", Action.DELIVER, HANDLER)
    for clock in (case.stages[c] for c in CLOCKS):
        assert (clock.outcome, clock.reason, clock.closed_by) == (
            "completed",
            "case finished",
            None,
        )


async def test_a_stop_without_a_maximum_stops_the_cases_limits_until_a_stage_runs() -> None:
    deps = make_deps(suspension_max_working_days={})  # no maximum for any special procedure
    await submit(deps)
    await signed(deps, "C1", "prereview", Action.PASS, HANDLER)
    await signed(deps, "C1", "accept", Action.ACCEPT, HANDLER)
    case = await signed(deps, "C1", "review", Action.SUSPEND, REVIEWER, suspension_reason="hearing")
    for clock in (case.stages[c] for c in CLOCKS):
        assert clock.state == StageState.SUSPENDED
        assert clock.suspensions[-1].ends_by is None
