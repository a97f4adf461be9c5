"""A deadline counted again on a newly published holiday schedule (deadline.changed)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from services.monitor import handlers as h
from shared.clock import SHANGHAI
from shared.contracts import DeadlineChanged, derived_event_id
from tests.unit.monitor.fakes import fake_deps
from tests.unit.monitor.test_handlers import DUE, OPENED, env, msg, open_case, opened


def changed(
    new_due: datetime, *, old_due: datetime = DUE, provisional: bool = False
) -> DeadlineChanged:
    return DeadlineChanged(
        case_id="C1",
        kind="stage",
        stage_id="S1",
        department="D1",
        region="500000",
        old_due_at=old_due,
        new_due_at=new_due,
        due_provisional=provisional,
        calendar_version="2027.test",
        reason="published",
        changed_at=new_due,
    )


async def apply(deps: h.Deps, e: DeadlineChanged, now: datetime) -> None:
    await h.on_deadline_changed(deps.arrived(msg(now)), env(e, now), e)


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


async def test_a_deadline_moved_into_the_past_turns_red_now_and_fires_no_rung_retroactively() -> (
    None
):
    deps, store, pub, sched = fake_deps()
    await open_case(deps)
    now = at(2026, 9, 24, 12)  # green: due Sep 28
    earlier = at(2026, 9, 23, 23, 59, 59)  # already past when the change arrives
    await apply(deps, changed(earlier), now)
    # red at the recompute instant and the first rung (after 0 working days) with it; no more
    assert pub.types() == ["overdue", "escalated"]
    red = pub.sent[0]
    assert datetime.fromisoformat(red.data["at"]) == now
    assert datetime.fromisoformat(red.data["due_at"]) == earlier
    # the next rung counts one working day from the recompute instant, not from the due
    assert sched.due[("C1", "S1")] == at(2026, 9, 28, 12)
    view = store.get("C1").stages["S1"]
    assert view["overdue_from"] and view["due_at"].startswith("2026-09-23T23:59:59")


async def test_a_deadline_moved_later_fires_on_the_new_time_only() -> None:
    deps, store, pub, sched = fake_deps()
    await open_case(deps)
    later = at(2026, 9, 30, 23, 59, 59)
    await apply(deps, changed(later), at(2026, 9, 24, 12))
    assert pub.sent == []
    assert sched.due[("C1", "S1")] == at(2026, 9, 29, 23, 59, 59)  # yellow: one day before
    await h.on_timer(
        deps.arrived(msg(DUE + timedelta(seconds=1))), "C1", "S1"
    )  # the old due passes
    assert pub.sent == []
    await h.on_timer(deps.arrived(msg(sched.due[("C1", "S1")])), "C1", "S1")
    assert pub.types() == ["warned"]
    await h.on_timer(deps.arrived(msg(later + timedelta(seconds=1))), "C1", "S1")
    assert pub.types() == ["warned", "overdue", "escalated"]


async def test_a_red_stage_whose_deadline_moves_into_the_future_starts_a_new_alert_cycle() -> None:
    deps, store, pub, sched = fake_deps()
    await open_case(deps)
    await h.on_timer(deps.arrived(msg(DUE + timedelta(seconds=1))), "C1", "S1")
    assert pub.types() == ["overdue", "escalated"]
    first_red = pub.sent[0].id
    assert first_red == derived_event_id("S1", "red")
    later = at(2026, 10, 12, 23, 59, 59)
    await apply(deps, changed(later), at(2026, 9, 29, 9))
    stage = store.get("C1").stages["S1"]
    assert "red_at" not in stage and stage["gen"] == 1
    await h.on_timer(deps.arrived(msg(later + timedelta(seconds=1))), "C1", "S1")
    new_red = [e for e in pub.sent if e.type.endswith("stage.overdue.v1")][-1]
    assert new_red.id == derived_event_id("S1", "red", "gen1") != first_red


async def test_a_red_stage_whose_deadline_stays_past_keeps_its_ladder() -> None:
    deps, store, pub, sched = fake_deps()
    await open_case(deps)
    await h.on_timer(deps.arrived(msg(DUE + timedelta(seconds=1))), "C1", "S1")
    next_rung = sched.due[("C1", "S1")]
    await apply(deps, changed(at(2026, 9, 25, 23, 59, 59)), at(2026, 9, 29, 9))
    assert pub.types() == ["overdue", "escalated"]  # nothing re-fired
    assert sched.due[("C1", "S1")] == next_rung  # the ladder keeps counting from the old due


async def test_a_redelivered_change_is_ignored_and_the_flag_reaches_the_view() -> None:
    deps, store, pub, sched = fake_deps()
    await open_case(deps)
    e = changed(at(2026, 9, 30, 23, 59, 59), provisional=True)
    await apply(deps, e, at(2026, 9, 24, 12))
    before = dict(store.get("C1").stages["S1"])
    assert before["due_provisional"] is True
    await apply(deps, e, at(2026, 9, 24, 13))
    assert store.get("C1").stages["S1"] == before


async def test_a_change_for_an_unknown_stage_is_ignored() -> None:
    deps, store, pub, sched = fake_deps()
    await apply(deps, changed(at(2026, 9, 30, 23, 59, 59)), OPENED)
    assert pub.sent == [] and store.get("C1") is None


async def test_a_resumed_stage_counts_its_ladder_from_its_resumed_deadline() -> None:
    from shared.contracts import StageResumed, StageSuspended

    deps, store, pub, sched = fake_deps()
    await open_case(deps)
    now = at(2026, 9, 24, 12)
    await apply(deps, changed(at(2026, 9, 23, 23, 59, 59)), now)  # red now, ladder from now
    suspended = StageSuspended(
        case_id="C1", stage_id="S1", reason="expert_review", suspended_at=now + timedelta(hours=1)
    )
    await h.on_stage_suspended(
        deps.arrived(msg(now + timedelta(hours=1))), env(suspended, now), suspended
    )
    resumed_due = at(2026, 10, 20, 23, 59, 59)
    resumed = StageResumed(
        case_id="C1", stage_id="S1", resumed_at=at(2026, 9, 29, 9), due_at=resumed_due
    )
    await h.on_stage_resumed(deps.arrived(msg(at(2026, 9, 29, 9))), env(resumed, now), resumed)
    assert "overdue_from" not in store.get("C1").stages["S1"]
    rungs_before = pub.types().count("escalated")
    await h.on_timer(
        deps.arrived(msg(at(2026, 10, 9, 12))), "C1", "S1"
    )  # after the old anchor's rungs
    assert pub.types().count("escalated") == rungs_before


def test_a_suspensions_maximum_moves_with_a_published_year() -> None:
    from services.monitor import domain as d
    from shared.calendar import Limit, YearSchedule, load_default_calendar
    from shared.calendar.statutory import statutory_holidays

    calendar = load_default_calendar()
    opened = at(2026, 12, 28, 10)
    stage = d.open_stage(
        case_id="C1",
        stage_id="S1",
        stage="review",
        item_code="I1",
        department="D1",
        region="500000",
        assignee=None,
        opened_at=opened,
        due_at=calendar.deadline(opened, Limit(value=10)),
        limit=Limit(value=10),
        calendar=calendar,
        policy=d.WarningPolicy(),
    )
    paused = d.suspend(stage, at(2026, 12, 30, 10), calendar, Limit(value=2))
    assert d.stop_ends(paused, calendar) == at(2027, 1, 4, 23, 59, 59)  # provisional
    calendar.publish(
        YearSchedule(
            year=2027,
            source="test fixture",
            off=tuple(sorted(statutory_holidays(2027) | {date(2027, 1, 4)})),
        )
    )
    assert d.stop_ends(paused, calendar) == at(2027, 1, 5, 23, 59, 59)
    assert d.overrun(paused, at(2027, 1, 5, 12), calendar) is None  # not yet, on the new year
    assert d.overrun(paused, at(2027, 1, 6, 0, 0, 1), calendar) is not None


def test_a_following_stop_resumes_at_the_first_maximum_under_it() -> None:
    from services.monitor import domain as d
    from shared.calendar import Limit, load_default_calendar

    calendar = load_default_calendar()
    stage = d.open_stage(
        case_id="C1",
        stage_id="C1:case_promised",
        stage="case_promised",
        item_code="I1",
        department="D1",
        region="500000",
        assignee=None,
        opened_at=OPENED,
        due_at=DUE,
        limit=Limit(value=2),
        calendar=calendar,
        policy=d.WarningPolicy(),
    )
    until = at(2026, 9, 29, 23, 59, 59)
    paused = d.suspend(stage, OPENED + timedelta(hours=1), calendar, None, ends_by=until)
    assert d.stop_ends(paused, calendar) == until
    assert d.overrun(paused, until - timedelta(seconds=1), calendar) is None
    assert d.overrun(paused, until, calendar) is not None


async def test_a_following_stop_resumes_without_a_finding_of_its_own() -> None:
    from shared.calendar import Limit
    from shared.contracts import StageSuspended

    deps, store, pub, sched = fake_deps()
    e = opened("C1:case_promised", stage="case_promised").model_copy(
        update={"assignee": None, "limit": Limit(value=5)}
    )
    await h.on_stage_opened(deps.arrived(msg(OPENED)), env(e, OPENED), e)
    until = at(2026, 9, 24, 23, 59, 59)
    stop = StageSuspended(
        case_id="C1",
        stage_id="C1:case_promised",
        reason="expert_review",
        suspended_at=OPENED + timedelta(hours=1),
        ends_by=until,
    )
    await h.on_stage_suspended(deps.arrived(msg(OPENED)), env(stop, OPENED), stop)
    await h.on_timer(deps.arrived(msg(until + timedelta(seconds=1))), "C1", "C1:case_promised")
    assert store.get("C1").stages["C1:case_promised"].get("status", "open") == "open"
    assert not [x for x in pub.sent if x.type.endswith("finding.v1")]
