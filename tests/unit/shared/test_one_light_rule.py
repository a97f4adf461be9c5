"""The officer's work list (approval), the board and the gauges (monitor) and the applicant's
tracking view (intake) light every stage the same, hour by hour, for every unit of limit, with
and without a suspension."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from services.approval.domain import Case
from services.approval.domain.model import ApplicantRef, PlanStep, Stage
from services.approval.domain.stages import (
    Transition,
    clock_of,
    open_stage,
    resume_stage,
    suspend_stage,
)
from services.approval.handlers import task_view
from services.approval.store import task_row
from services.intake.domain.case import OpenStage
from services.intake.domain.progress import stage_view
from services.monitor import domain as monitor
from services.monitor.board import raw_light
from shared.calendar import Limit, LimitUnit, load_default_calendar
from shared.calendar.timing import WarningPolicy, measure, warning_margin
from shared.clock import SHANGHAI
from shared.contracts import StageKind

CAL = load_default_calendar()
POLICY = WarningPolicy()
MARCH = [datetime(2026, 3, 1, tzinfo=SHANGHAI) + timedelta(hours=h) for h in range(31 * 24)]


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def a_case() -> Case:
    return Case(
        case_id="C1",
        item_code="I1",
        item_name="item",
        department="500000-SCJ",
        region="500000",
        applicant=ApplicantRef(kind="person", id_number="x", name="x"),
        promised_limit=Limit(value=20),
        statutory_limit=Limit(value=20),
        plan=[PlanStep(stage=StageKind.REVIEW, name="r", limit=Limit(value=5), departments=["D"])],
        submitted_at=sh(2026, 3, 1),
    )


def opened_in_both(opened: datetime, limit: Limit) -> tuple[Transition, Stage, monitor.StageState]:
    """The review stage of case C1 opened at ``opened`` as approval opens it (the work list)
    and as the monitor watches it (the board)."""
    tr = Transition(case=a_case(), now=opened, calendar=CAL)
    stage = open_stage(
        tr,
        stage_id="C1:review",
        kind=StageKind.REVIEW,
        name="r",
        department="500000-SCJ",
        limit=limit,
        required_role="reviewer",
    )
    watched = monitor.open_stage(
        case_id="C1",
        stage_id=stage.stage_id,
        stage="review",
        item_code="I1",
        department="500000-SCJ",
        region="500000",
        assignee=None,
        opened_at=opened,
        due_at=stage.due_at,
        limit=limit,
        calendar=CAL,
        policy=POLICY,
    )
    return tr, stage, watched


LIMITS = [
    Limit(value=5),  # the case of the 40 disagreements: opened Monday 10:00
    Limit(value=1),
    Limit(value=20),
    Limit(value=16, unit=LimitUnit.WORKING_HOURS),
    Limit(value=4, unit=LimitUnit.WORKING_HOURS),
    Limit(value=10, unit=LimitUnit.NATURAL_DAYS),
]


@pytest.mark.parametrize("limit", LIMITS, ids=lambda lim: f"{lim.value}-{lim.unit.value}")
@pytest.mark.parametrize(
    "suspended", [None, "resumed", "overran"], ids=["running", "suspended-and-resumed", "overran"]
)
def test_the_work_list_and_the_board_agree_every_hour_of_a_month(
    limit: Limit, suspended: str | None
) -> None:
    opened = sh(2026, 3, 2, 10)
    tr, stage, watched = opened_in_both(opened, limit)
    stops: list[tuple[datetime, datetime]] = []
    maximum = None
    if suspended:
        stops = [(sh(2026, 3, 3, 11), sh(2026, 3, 9, 15))]
    if suspended == "overran":  # two working days at most; the officer resumes days later
        maximum = Limit(value=2)
    compared = 0
    for now in MARCH:
        for start, end in stops:
            if now == start:
                suspend_stage(
                    Transition(case=tr.case, now=now, calendar=CAL),
                    stage,
                    "expert_review",
                    actor="r",
                    note=None,
                    max_length=maximum,
                )
                watched = monitor.suspend(watched, now, CAL, maximum)
            if now == end:
                resume_stage(Transition(case=tr.case, now=now, calendar=CAL), stage, actor="r")
                if watched.status is monitor.Status.SUSPENDED:
                    watched = monitor.resume(watched, now, stage.due_at, CAL)
        overran = monitor.overrun(watched, now, CAL)  # the monitor's timer at the maximum
        if overran is not None:
            watched = overran
        if now < opened:
            continue
        row = task_row(tr.case, stage)
        work_list = task_view(row, calendar=CAL, now=now, policy=POLICY)["light"]
        board = watched.light(now).value
        gauge = raw_light(watched.model_dump(mode="json", exclude_defaults=True), now)
        applicant = tracked(stage, now)
        assert work_list == board == gauge == applicant, (now, work_list, board, gauge, applicant)
        assert due_in_view(row, now) == watched.due_at
        compared += 1
    assert compared > 600
    assert watched.due_at == stage.due_at


def due_in_view(row: dict[str, object], now: datetime) -> datetime:
    due = task_view(row, calendar=CAL, now=now, policy=POLICY)["due_at"]
    assert isinstance(due, datetime)
    return due


def tracked(stage: Stage, now: datetime) -> str | None:
    """The light the applicant's tracking view (intake) shows, from what approval published."""
    suspension = stage.current_suspension
    seen = OpenStage(
        stage_id=stage.stage_id,
        stage=stage.kind,
        name=stage.name,
        department=stage.department,
        due_at=stage.due_at,
        suspended=suspension is not None,
        suspended_at=suspension.started_at if suspension else None,
        suspension_ends_by=suspension.ends_by if suspension else None,
        limit=stage.limit,
        since=clock_of(stage).running_since(),
    )
    light: str | None = stage_view(seen, now, CAL, POLICY)["light"]
    return light


def test_the_reported_disagreement_is_gone() -> None:
    """A 5-working-day stage opened Monday 2026-03-02 10:00, seen on Friday 22:00: 26 hours
    left, more than the margin of one working day (20 % of five days is also one day)."""
    due = CAL.deadline(sh(2026, 3, 2, 10), Limit(value=5))
    row = {
        "_id": "C1:review",
        "state": "open",
        "limit": {"value": 5, "unit": "working_days"},
        "opened_at": sh(2026, 3, 2, 10),
        "clock_since": sh(2026, 3, 2, 10),
        "due_at": due,
    }
    assert task_view(row, calendar=CAL, now=sh(2026, 3, 6, 22), policy=POLICY)["light"] == "green"
    watched = monitor.open_stage(
        case_id="C1",
        stage_id="C1:review",
        stage="review",
        item_code="I1",
        department="D",
        region="500000",
        assignee=None,
        opened_at=sh(2026, 3, 2, 10),
        due_at=due,
        limit=Limit(value=5),
        calendar=CAL,
        policy=POLICY,
    )
    assert watched.light(sh(2026, 3, 6, 22)) is monitor.Light.GREEN
    # yellow once exactly one working day (Monday, to its 23:59:59 deadline) is left
    assert watched.warn_at == sh(2026, 3, 8, 23, 59, 59)


BOUNDARY_LIMITS = [
    Limit(value=5),
    Limit(value=16, unit=LimitUnit.WORKING_HOURS),
    Limit(value=10, unit=LimitUnit.NATURAL_DAYS),
]


@pytest.mark.parametrize("limit", BOUNDARY_LIMITS, ids=lambda lim: f"{lim.value}-{lim.unit.value}")
def test_yellow_at_the_exact_warning_instant_and_red_at_the_exact_due_instant(
    limit: Limit,
) -> None:
    """Every view turns at the same instant: yellow exactly when no more than the warning
    margin is left, red exactly at the due instant, not one microsecond later."""
    opened = sh(2026, 3, 2, 10)
    tr, stage, watched = opened_in_both(opened, limit)
    due, warn = stage.due_at, watched.warn_at
    assert opened < warn < due
    margin = warning_margin(limit, CAL, POLICY)
    assert measure(limit.unit, warn, due, CAL) <= margin
    if limit.unit == LimitUnit.NATURAL_DAYS:  # every second counts: the margin to the second
        assert measure(limit.unit, warn, due, CAL) == margin == 2 * 86400

    def lights(now: datetime) -> set[str | None]:
        row = task_row(tr.case, stage)
        return {
            task_view(row, calendar=CAL, now=now, policy=POLICY)["light"],
            watched.light(now).value,
            raw_light(watched.model_dump(mode="json", exclude_defaults=True), now),
            tracked(stage, now),
        }

    tick = timedelta(microseconds=1)
    assert lights(warn - tick) == {"green"}
    assert lights(warn) == {"yellow"}
    assert lights(due - tick) == {"yellow"}
    assert lights(due) == {"red"}
    # the monitor's timer fires each colour at that same instant
    assert monitor.next_due(watched, (), CAL) == warn
    assert monitor.advance(watched, warn - tick, (), CAL)[1] == []
    yellow, fired = monitor.advance(watched, warn, (), CAL)
    assert [(t.kind, t.at) for t in fired] == [("yellow", warn)]
    assert monitor.next_due(yellow, (), CAL) == due
    assert monitor.advance(yellow, due - tick, (), CAL)[1] == []
    assert [(t.kind, t.at) for t in monitor.advance(yellow, due, (), CAL)[1]] == [("red", due)]
