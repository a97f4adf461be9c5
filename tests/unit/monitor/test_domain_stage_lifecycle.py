"""A supervised stage's record through its life (docs/monitor.md, "Lights", "Suspensions",
"Recomputed deadlines"): what each step keeps, in the unit of the stage's own limit."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from services.monitor import domain as d
from shared.calendar import Limit, load_default_calendar
from shared.clock import SHANGHAI

CAL = load_default_calendar()
POLICY = d.WarningPolicy()
FRI = datetime(2026, 3, 6, 10, tzinfo=SHANGHAI)  # Friday: the weekend follows
MON = datetime(2026, 3, 2, 9, tzinfo=SHANGHAI)


def stage(
    opened: datetime, value: int, unit: str = "working_days", **extra: object
) -> d.StageState:
    limit = Limit(value=value, unit=unit)  # type: ignore[arg-type]
    return d.open_stage(
        case_id="C1",
        stage_id="S1",
        stage="review",
        item_code="I7",
        department="D1",
        region="500000",
        assignee="h1",
        opened_at=opened,
        due_at=CAL.deadline(opened, limit),
        limit=limit,
        calendar=CAL,
        policy=POLICY,
        **extra,  # type: ignore[arg-type]
    )


def test_an_opened_stage_keeps_its_item_assignee_unit_and_provisional_flag() -> None:
    s = stage(FRI, 3, "natural_days")
    assert (s.item_code, s.assignee, s.unit, s.due_provisional) == (
        "I7",
        "h1",
        "natural_days",
        False,
    )
    assert stage(FRI, 3, due_provisional=True).due_provisional is True


def test_a_natural_day_stage_suspended_keeps_natural_seconds_and_overruns_by_them() -> None:
    s = stage(FRI, 3, "natural_days")  # due Mon 23:59:59, counting the weekend
    # stopped on Saturday for at most 5 working days: the maximum ends on Friday 13th
    paused = d.suspend(s, FRI + timedelta(days=1), CAL, Limit(value=5, unit="working_days"))
    assert paused.remaining_s == (s.due_at - (FRI + timedelta(days=1))).total_seconds()
    ends = d.stop_ends(paused, CAL)
    assert ends is not None
    resumed = d.overrun(paused, ends, CAL)
    assert resumed is not None and resumed.status is d.Status.OPEN
    assert ends == datetime(2026, 3, 13, 23, 59, 59, tzinfo=SHANGHAI)
    # what was left runs on over the weekend: natural days count it
    assert resumed.due_at == ends + timedelta(seconds=paused.remaining_s or 0)
    assert (resumed.resumes_at, resumed.stop_max, resumed.remaining_s) == (None, None, None)


def test_a_stage_suspended_past_its_deadline_overruns_onto_the_same_deadline() -> None:
    s = stage(MON, 2)
    paused = d.suspend(s, s.due_at + timedelta(hours=1), CAL, Limit(value=1, unit="working_days"))
    assert paused.remaining_s == 0.0
    ends = d.stop_ends(paused, CAL)
    assert ends is not None
    resumed = d.overrun(paused, ends, CAL)
    assert resumed is not None and resumed.due_at == s.due_at


def test_under_a_second_left_is_still_owed_after_an_overrun() -> None:
    s = stage(FRI, 3, "natural_days")
    paused = d.suspend(
        s, s.due_at - timedelta(milliseconds=500), CAL, Limit(value=1, unit="working_days")
    )
    assert paused.remaining_s == 0.5
    ends = d.stop_ends(paused, CAL)
    assert ends is not None
    resumed = d.overrun(paused, ends, CAL)
    assert resumed is not None and resumed.due_at == ends + timedelta(milliseconds=500)


def test_resuming_clears_the_stop_and_counts_the_stopped_time() -> None:
    s = stage(MON, 10)
    paused = d.suspend(s, MON + timedelta(days=1), CAL, Limit(value=5, unit="working_days"))
    assert paused.resumes_at is not None and paused.stop_max is not None
    back = MON + timedelta(days=2)
    resumed = d.resume(paused, back, s.due_at + timedelta(days=1), CAL, due_provisional=True)
    assert (resumed.remaining_s, resumed.resumes_at, resumed.stop_max) == (None, None, None)
    assert resumed.since == back and resumed.due_provisional is True
    assert resumed.stopped_s == d.DAY_S
    assert d.resume(paused, back, s.due_at, CAL).due_provisional is False  # kept when not given
    # a stop whose start is unknown adds no stopped time
    unknown = paused.model_copy(update={"suspended_at": None})
    assert d.resume(unknown, back, s.due_at, CAL).stopped_s == 0.0


def test_a_natural_day_stage_resumed_warns_a_natural_day_before_its_deadline() -> None:
    s = stage(FRI, 10, "natural_days")
    paused = d.suspend(s, FRI + timedelta(hours=1), CAL)
    due = FRI + timedelta(days=3, hours=14)  # Mon 24:00, across the weekend
    resumed = d.resume(paused, FRI + timedelta(hours=2), due, CAL)
    assert resumed.warn_at == due - timedelta(seconds=resumed.margin_s)
    monday_noon = datetime(2026, 3, 16, 12, tzinfo=SHANGHAI)
    moved = d.change_due(resumed, monday_noon, FRI + timedelta(hours=3), CAL, due_provisional=False)
    # two natural days before Monday noon: Saturday noon (two working days would be Thursday)
    assert moved.warn_at == datetime(2026, 3, 14, 12, tzinfo=SHANGHAI)


def test_a_suspended_stage_whose_deadline_is_recomputed_keeps_the_new_time_left() -> None:
    s = stage(FRI, 10, "natural_days")
    overdue = s.model_copy(update={"overdue_from": FRI})
    paused = d.suspend(overdue, FRI + timedelta(hours=1), CAL)
    new_due = s.due_at + timedelta(days=2)
    moved = d.change_due(paused, new_due, FRI + timedelta(hours=5), CAL, due_provisional=True)
    assert moved.status is d.Status.SUSPENDED
    assert moved.due_at == new_due and moved.due_provisional is True
    assert moved.remaining_s == (new_due - (FRI + timedelta(hours=1))).total_seconds()
    assert moved.overdue_from is None  # resuming brings its own deadline
    working = d.suspend(stage(FRI, 5), FRI + timedelta(hours=1), CAL)
    later = d.change_due(
        working, working.due_at + timedelta(days=3), FRI, CAL, due_provisional=False
    )
    assert later.remaining_s == CAL.working_seconds_between(FRI + timedelta(hours=1), later.due_at)


def test_a_red_stage_recomputed_to_exactly_now_keeps_its_ladder_start() -> None:
    s = stage(MON, 2)
    red, _ = d.advance(s, s.due_at + timedelta(days=1), d.DEFAULT_LADDER, CAL)
    now = s.due_at + timedelta(days=1)
    moved = d.change_due(red, now, now, CAL, due_provisional=False)
    assert moved.ladder_from == s.due_at


def test_a_deadline_recomputed_to_exactly_now_turns_a_green_stage_red_from_now() -> None:
    s = stage(MON, 5)
    now = MON + timedelta(days=1)
    moved = d.change_due(s, now, now, CAL, due_provisional=False)
    assert moved.overdue_from == now
    _, fired = d.advance(moved, now, d.DEFAULT_LADDER, CAL)
    assert [(t.kind, t.at) for t in fired] == [("red", now), ("rung", now)]


def test_a_green_stage_moved_later_stays_in_its_alert_cycle() -> None:
    s = stage(MON, 5)
    moved = d.change_due(
        s, s.due_at + timedelta(days=3), MON + timedelta(hours=1), CAL, due_provisional=False
    )
    assert moved.gen == 0 and moved.yellow_at is None


def test_a_yellow_stage_moved_back_before_its_warning_starts_a_new_cycle() -> None:
    s = stage(MON, 5)
    yellow, _ = d.advance(s, s.warn_at, d.DEFAULT_LADDER, CAL)
    now = s.warn_at + timedelta(hours=1)
    later = d.change_due(yellow, s.due_at + timedelta(days=7), now, CAL, due_provisional=False)
    assert (later.yellow_at, later.gen) == (None, 1)
    assert later.light(now) is d.Light.GREEN


def test_a_yellow_stage_whose_new_warning_starts_exactly_now_stays_yellow() -> None:
    s = stage(MON, 5)
    yellow, _ = d.advance(s, s.warn_at, d.DEFAULT_LADDER, CAL)
    new_due = s.due_at + timedelta(days=7)
    warn = d.change_due(yellow, new_due, MON, CAL, due_provisional=False).warn_at
    kept = d.change_due(yellow, new_due, warn, CAL, due_provisional=False)
    assert (kept.yellow_at, kept.gen) == (s.warn_at, 0)


def test_a_red_stage_with_rungs_moved_into_the_future_starts_over() -> None:
    s = stage(MON, 2)
    yellow, _ = d.advance(s, s.warn_at, d.DEFAULT_LADDER, CAL)
    now = s.due_at + timedelta(days=3)
    red, fired = d.advance(yellow, now, d.DEFAULT_LADDER, CAL)
    assert red.rung >= 2 and red.yellow_at is not None
    overdue = red.model_copy(update={"overdue_from": s.due_at})
    moved = d.change_due(overdue, now + timedelta(days=10), now, CAL, due_provisional=False)
    assert (moved.yellow_at, moved.red_at, moved.rung, moved.overdue_from) == (None, None, 0, None)
    assert moved.gen == 1 and moved.light(now) is d.Light.GREEN


@pytest.mark.parametrize("unit", ["natural_days", "working_hours"])
def test_suspension_keeps_the_time_left_in_the_limits_unit(unit: str) -> None:
    s = stage(FRI, 10, unit)
    at = FRI + timedelta(hours=2)
    paused = d.suspend(s, at, CAL)
    if unit == "natural_days":
        assert paused.remaining_s == (s.due_at - at).total_seconds()
    else:
        assert paused.remaining_s == pytest.approx(CAL.working_hours_between(at, s.due_at) * 3600)
