"""Provisional stage deadlines across the 2026/2027 boundary, recomputed when 2027 is published."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from services.approval.domain import Action
from services.approval.handlers import recompute_deadlines
from services.approval.ports import TaskQuery
from shared.calendar import YearSchedule
from shared.calendar.statutory import statutory_holidays
from shared.clock import SHANGHAI, FixedClock
from shared.contracts import RECOMPUTED_ON_PUBLICATION
from tests.unit.approval.approval_fakes import InMemoryCaseStore, make_deps
from tests.unit.approval.test_approval_workflow import HANDLER, REVIEWER, do, signed, submit

# Monday 2026-12-21, 10:00 in Shanghai: two 5-working-day stages reach into 2027.
DEC_21 = datetime(2026, 12, 21, 10, tzinfo=SHANGHAI)
# A test schedule, not an official one: Jan 4 (Monday) off as well, Jan 9 (Saturday) worked.
FIXTURE_2027 = YearSchedule(
    year=2027,
    source="test fixture, not an official schedule",
    off=tuple(sorted(statutory_holidays(2027) | {date(2027, 1, 4)})),
    extra_working_days=(date(2027, 1, 9),),
)


def local_day(dt: datetime) -> date:
    return dt.astimezone(SHANGHAI).date()


async def test_stage_deadlines_in_a_provisional_year_are_marked_and_recomputed() -> None:
    clock = FixedClock(DEC_21)
    deps = make_deps(clock)
    store = deps.store
    assert isinstance(store, InMemoryCaseStore)
    await submit(deps, at=DEC_21)
    await signed(deps, "C1", "prereview", Action.PASS, HANDLER)
    case = await signed(deps, "C1", "accept", Action.ACCEPT, HANDLER)
    review = case.stages["C1:review"]
    # 5 working days after Dec 21: 22, 23, 24, 25, 28 -> 2026 only, official
    assert local_day(review.due_at) == date(2026, 12, 28) and not review.due_provisional
    clock.advance(timedelta(days=3))  # Thursday Dec 24
    await signed(deps, "C1", "review", Action.PASS, REVIEWER)
    case = await store.get("C1")
    assert case is not None
    decide = case.stages["C1:decide"]
    # 5 working days after Dec 24: 25, 28, 29, 30, 31
    assert local_day(decide.due_at) == date(2026, 12, 31) and not decide.due_provisional
    clock.advance(timedelta(days=1))  # Friday Dec 25: the deliver stage reaches 2027
    approver = HANDLER.model_copy(update={"subject": "a-1", "roles": frozenset({"approver"})})
    await signed(deps, "C1", "decide", Action.APPROVE, approver)
    case = await store.get("C1")
    assert case is not None
    deliver = case.stages["C1:deliver"]
    # Dec 28, 29, 30, 31, Jan 1 off (statutory), Jan 4 -> provisional
    assert local_day(deliver.due_at) == date(2027, 1, 4) and deliver.due_provisional
    [opened] = store.events("stage.opened", "C1")[-1:]
    assert opened.data["due_provisional"] is True
    rows, _ = await store.tasks(TaskQuery())
    assert [r["due_provisional"] for r in rows if r["_id"] == "C1:deliver"] == [True]

    # Nothing to do while the calendar is the one the deadline was computed on.
    assert await recompute_deadlines(deps) == 0
    version_before = case.version

    assert deps.calendar.publish(FIXTURE_2027)
    clock.advance(timedelta(hours=2))
    assert await recompute_deadlines(deps) == 1
    case = await store.get("C1")
    assert case is not None
    deliver = case.stages["C1:deliver"]
    assert local_day(deliver.due_at) == date(2027, 1, 5) and not deliver.due_provisional
    assert case.version == version_before + 1
    changes = {e.data["stage_id"]: e for e in store.events("deadline.changed", "C1")}
    # the deliver stage and the case's own limits (5 and 20 working days from acceptance)
    assert set(changes) == {"C1:deliver", "C1:case_promised", "C1:case_statutory"}
    changed = changes["C1:deliver"]
    assert changed.data["old_due_at"].startswith("2027-01-04T23:59:59")
    assert changed.data["new_due_at"].startswith("2027-01-05T23:59:59")
    assert changed.data["calendar_version"] == deps.calendar.version
    assert changed.data["due_provisional"] is False and changed.data["applicant_told"] is True
    assert changed.data["reason"] == RECOMPUTED_ON_PUBLICATION
    assert any(e["action"] == "deadline_changed" for e in store.entries["C1"])
    # A second run (another replica, or the periodic check) changes nothing.
    assert await recompute_deadlines(deps) == 0
    assert len(store.events("deadline.changed", "C1")) == 3


async def test_a_suspension_is_replayed_on_the_new_calendar() -> None:
    clock = FixedClock(DEC_21 + timedelta(days=3))  # Thursday Dec 24
    deps = make_deps(clock)
    store = deps.store
    assert isinstance(store, InMemoryCaseStore)
    await submit(deps, at=clock.now())
    await signed(deps, "C1", "prereview", Action.PASS, HANDLER)
    await signed(deps, "C1", "accept", Action.ACCEPT, HANDLER)
    case = await do(deps, "C1", "review", Action.SIGN_IN, REVIEWER)
    # review opened Dec 24 (Thu): Dec 25, 28, 29, 30, 31 -> Dec 31, official
    assert local_day(case.stages["C1:review"].due_at) == date(2026, 12, 31)
    clock.advance(timedelta(days=4))  # Monday Dec 28, 10:00: 3 working days and 14 h left
    await do(deps, "C1", "review", Action.SUSPEND, REVIEWER, suspension_reason="expert_review")
    clock.advance(timedelta(days=2))  # Wednesday Dec 30
    case = await do(deps, "C1", "review", Action.RESUME, REVIEWER)
    review = case.stages["C1:review"]
    # 3 days 14 h left: 14 h of Dec 30, Dec 31, (Jan 1 off, provisional), Jan 4, Jan 5
    assert local_day(review.due_at) == date(2027, 1, 5) and review.due_provisional
    deps.calendar.publish(FIXTURE_2027)  # Jan 4 off too
    assert await recompute_deadlines(deps) == 1
    case = await store.get("C1")
    assert case is not None
    assert local_day(case.stages["C1:review"].due_at) == date(2027, 1, 6)


async def test_natural_day_limits_are_never_provisional() -> None:
    from services.approval.domain.model import Stage
    from services.approval.domain.stages import mark_due
    from shared.calendar import Limit, LimitUnit
    from shared.contracts import StageKind

    deps = make_deps(FixedClock(DEC_21))
    stage = Stage(
        stage_id="S",
        kind=StageKind.REVIEW,
        name="review",
        department="500000-SCJ",
        region="500000",
        limit=Limit(value=20, unit=LimitUnit.NATURAL_DAYS),
        opened_at=DEC_21,
        due_at=deps.calendar.deadline(DEC_21, Limit(value=20, unit=LimitUnit.NATURAL_DAYS)),
    )
    mark_due(deps.calendar, stage)
    assert local_day(stage.due_at) == date(2027, 1, 10) and not stage.due_provisional


async def test_a_replica_on_an_older_calendar_leaves_newer_deadlines_alone() -> None:
    from services.approval.domain import needs_recompute
    from shared.calendar import load_default_calendar

    clock = FixedClock(DEC_21 + timedelta(days=9))  # Wednesday Dec 30
    deps = make_deps(clock)
    await submit(deps, at=clock.now())
    case = await deps.store.get("C1")
    assert case is not None
    prereview = case.stages["C1:prereview"]
    assert prereview.due_provisional
    lagging = load_default_calendar()  # another replica, still on the packaged calendar
    ahead = load_default_calendar()
    ahead.publish(FIXTURE_2027.model_copy(update={"off": FIXTURE_2027.off[:-1]}))
    stamped = prereview.model_copy(update={"due_calendar": ahead.version})
    assert not needs_recompute(stamped, lagging)  # a version it never ran: newer, not its own
    lagging.publish(FIXTURE_2027)
    assert needs_recompute(prereview, lagging)  # the packaged version it ran before


async def test_a_suspensions_maximum_is_counted_again_on_publication() -> None:
    clock = FixedClock(DEC_21 + timedelta(days=3))  # Thursday Dec 24
    deps = make_deps(clock)
    store = deps.store
    assert isinstance(store, InMemoryCaseStore)
    await submit(deps, at=clock.now())
    await signed(deps, "C1", "prereview", Action.PASS, HANDLER)
    await signed(deps, "C1", "accept", Action.ACCEPT, HANDLER)
    await do(deps, "C1", "review", Action.SIGN_IN, REVIEWER)
    clock.advance(timedelta(days=6))  # Wednesday Dec 30
    case = await do(
        deps,
        "C1",
        "review",
        Action.SUSPEND,
        REVIEWER,
        suspension_reason="expert_review",
        max_length={"value": 2, "unit": "working_days"},
    )
    stop = case.stages["C1:review"].suspensions[-1]
    assert stop.ends_by is not None and local_day(stop.ends_by) == date(2027, 1, 4)  # Dec 31, Jan 4
    deps.calendar.publish(FIXTURE_2027)  # Jan 4 off too
    assert await recompute_deadlines(deps) >= 1
    case = await store.get("C1")
    assert case is not None
    stop = case.stages["C1:review"].suspensions[-1]
    assert stop.ends_by is not None and local_day(stop.ends_by) == date(2027, 1, 5)
