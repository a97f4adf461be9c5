"""Handlers with in-memory fakes: what gets published, stored and scheduled."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from services.monitor import handlers as h
from services.monitor.board import build_board, case_view
from shared.calendar import Limit, load_default_calendar
from shared.clock import SHANGHAI
from shared.contracts import (
    CaseRated,
    Envelope,
    EventData,
    ParallelMode,
    StageOpened,
    StageResumed,
    StageSignedIn,
    StageSuspended,
    derived_event_id,
    make_envelope,
)
from tests.support.events import prereview_done, stage_closed, stage_opened
from tests.unit.monitor.fakes import fake_deps

CAL = load_default_calendar()
OPENED = datetime(2026, 9, 23, 10, tzinfo=SHANGHAI)
DUE = datetime(2026, 9, 28, 23, 59, 59, tzinfo=SHANGHAI)


def env(data: EventData, t: datetime) -> Envelope:
    return make_envelope(data, source="/egov/approval", time=t)


def msg(now: datetime, arrived: datetime | None = None) -> h.Incoming:
    return h.Incoming(partition=2, now=now, arrived_at=arrived or now)


def opened(stage_id: str = "S1", stage: str = "review", due: datetime = DUE) -> StageOpened:
    return stage_opened(
        "C1",
        stage_id=stage_id,
        stage=stage,
        name="review",
        item_code="I1",
        department="D1",
        assignee="h1",
        opened_at=OPENED,
        due_at=due,
        limit=Limit(value=2),
    )


async def open_case(deps: h.Deps, **kw: object) -> StageOpened:
    e = opened(**kw)  # type: ignore[arg-type]
    await h.on_stage_opened(deps.arrived(msg(OPENED)), env(e, OPENED), e)
    return e


async def fire(deps: h.Deps, sched: dict, now: datetime, stage_id: str = "S1") -> None:
    assert ("C1", stage_id) in sched, "no timer scheduled"
    await h.on_timer(deps.arrived(msg(now)), "C1", stage_id)


async def test_yellow_red_and_ladder_with_derived_ids_and_no_duplicates() -> None:
    deps, store, pub, sched = fake_deps()
    await open_case(deps)
    assert pub.sent == []
    warn_at = sched.due[("C1", "S1")]
    assert warn_at == datetime(2026, 9, 27, 23, 59, 59, tzinfo=SHANGHAI)
    await fire(deps, sched.due, warn_at)
    assert pub.types() == ["warned"]
    assert pub.sent[0].id == derived_event_id("S1", "yellow")
    await fire(deps, sched.due, warn_at + timedelta(minutes=1))  # a duplicate firing
    assert pub.types() == ["warned"]
    for _ in range(4):
        await fire(deps, sched.due, sched.due[("C1", "S1")])
    assert pub.types() == [
        "warned",
        "overdue",
        "escalated",
        "escalated",
        "escalated",
        "escalated",
        "incident",
    ]
    ids = [e.id for e in pub.sent]
    assert ids[1] == derived_event_id("S1", "red")
    assert ids[2:6] == [derived_event_id("S1", "rung", str(n)) for n in (1, 2, 3)] + [
        derived_event_id("S1", "rung", "4")
    ]
    rungs = [(e.data["rung"], e.data["recipients"], e.data["card"]) for e in pub.sent[2:6]]
    assert rungs == [
        (1, ["handler"], "none"),
        (2, ["section_chief"], "yellow"),
        (3, ["department_head"], "red"),
        (4, ["inspection_office"], "red"),
    ]
    assert pub.sent[5].data["escalated_at"].startswith("2026-10-08")  # national day skipped
    incident = pub.sent[6].data
    assert (incident["subject_kind"], incident["subject_id"]) == ("department", "D1")
    assert (incident["incident_type"], incident["severity"]) == ("overdue_escalation", "serious")
    assert incident["source_system"] == "egov-monitor"
    assert ("C1", "S1") not in sched.due  # ladder exhausted


async def test_closing_stops_the_ladder_and_flags_a_red_close_without_reason() -> None:
    deps, store, pub, sched = fake_deps()
    await open_case(deps)
    await fire(deps, sched.due, DUE + timedelta(seconds=1))
    assert pub.types() == ["overdue", "escalated"]
    closed_at = DUE + timedelta(hours=10)
    e = stage_closed("C1", stage_id="S1", outcome="approved", department="D1", closed_at=closed_at)
    await h.on_stage_closed(deps.arrived(msg(closed_at)), env(e, closed_at), e)
    assert pub.sent[-1].data["kind"] == "closed_red_without_reason"
    assert ("C1", "S1") not in sched.due
    await h.on_timer(deps.arrived(msg(DUE + timedelta(days=20))), "C1", "S1")
    assert pub.types() == ["overdue", "escalated", "finding"]
    board = build_board(store.records(), deps.stats.rows(), closed_at)
    assert board["closed"] == 1 and board["on_time_rate"] == 0.0


async def test_suspension_pauses_and_resume_uses_the_new_due() -> None:
    deps, store, pub, sched = fake_deps()
    await open_case(deps)
    sus_at = OPENED + timedelta(hours=2)
    e = StageSuspended(case_id="C1", stage_id="S1", reason="hearing", suspended_at=sus_at)
    await h.on_stage_suspended(deps.arrived(msg(sus_at)), env(e, sus_at), e)
    assert ("C1", "S1") not in sched.due
    await h.on_timer(deps.arrived(msg(DUE + timedelta(days=5))), "C1", "S1")
    assert pub.sent == []
    view = case_view(store.get("C1"), DUE + timedelta(days=5))
    assert view is not None and view["stages"][0]["light"] == "green"
    res_at = datetime(2026, 10, 12, 9, tzinfo=SHANGHAI)
    new_due = datetime(2026, 10, 14, 23, 59, 59, tzinfo=SHANGHAI)
    r = StageResumed(case_id="C1", stage_id="S1", resumed_at=res_at, due_at=new_due)
    await h.on_stage_resumed(deps.arrived(msg(res_at)), env(r, res_at), r)
    assert sched.due[("C1", "S1")] == datetime(2026, 10, 13, 23, 59, 59, tzinfo=SHANGHAI)
    await fire(deps, sched.due, new_due + timedelta(seconds=5))
    assert pub.types() == ["overdue", "escalated"]
    assert pub.sent[0].data["due_at"].startswith("2026-10-14")


async def test_findings_late_sign_in_after_the_fact_prereview_and_fast_close() -> None:
    deps, store, pub, sched = fake_deps()
    await open_case(deps, stage_id="P1", stage="prereview")
    signed = OPENED + timedelta(days=1)  # Thu 10:00: ~7 office hours later
    e = StageSignedIn(
        case_id="C1", stage_id="P1", officer="o1", department="D1", signed_in_at=signed
    )
    await h.on_stage_signed_in(
        deps.arrived(msg(signed, arrived=signed + timedelta(days=3))), env(e, signed), e
    )
    assert sorted(x.data["kind"] for x in pub.sent) == ["after_the_fact_entry", "late_sign_in"]
    done_at = datetime(2026, 9, 30, 11, tzinfo=SHANGHAI)
    p = prereview_done("C1", outcome="passed", department="D1", decided_at=done_at)
    await h.on_prereview_done(deps.arrived(msg(done_at)), env(p, done_at), p)
    assert pub.sent[-1].data["kind"] == "prereview_late"
    await open_case(deps, stage_id="R1", stage="review")
    quick = OPENED + timedelta(seconds=5)
    c = stage_closed("C1", stage_id="R1", outcome="approved", department="D1", closed_at=quick)
    await h.on_stage_closed(deps.arrived(msg(quick)), env(c, quick), c)
    assert pub.sent[-1].data["kind"] == "implausibly_fast"
    assert len({x.id for x in pub.sent}) == len(pub.sent)


async def test_a_finding_replayed_after_a_crash_carries_the_same_id_and_content() -> None:
    """The finding of an event is dated at the event, not when it is processed: a replay after
    a crash between publishing and the table write (the chaos test's SIGKILL) is the same
    event, id and content, whatever the clock says then."""
    deps, store, pub, sched = fake_deps()
    await open_case(deps, stage_id="R1", stage="review")
    before = store.get("C1")
    assert before is not None
    quick = OPENED + timedelta(seconds=5)
    c = stage_closed("C1", stage_id="R1", outcome="approved", department="D1", closed_at=quick)
    closed = env(c, quick)
    await h.on_stage_closed(deps.arrived(msg(quick + timedelta(seconds=2))), closed, c)
    first = pub.sent[-1]
    store.put("C1", before)  # the crash: the table write was lost, the event comes again
    await h.on_stage_closed(deps.arrived(msg(quick + timedelta(minutes=30))), closed, c)
    again = pub.sent[-1]
    assert first.data["kind"] == again.data["kind"] == "implausibly_fast"
    assert (again.id, again.data) == (first.id, first.data)


async def test_publish_failure_leaves_the_table_untouched_so_a_retry_republishes() -> None:
    deps, store, pub, sched = fake_deps()
    await open_case(deps)
    before = dict(store.get("C1").stages["S1"])  # type: ignore[union-attr]
    pub.fail = True
    with pytest.raises(ConnectionError):
        await h.on_timer(deps.arrived(msg(DUE + timedelta(seconds=1))), "C1", "S1")
    assert store.get("C1").stages["S1"] == before  # type: ignore[union-attr]
    pub.fail = False
    await h.on_timer(deps.arrived(msg(DUE + timedelta(seconds=2))), "C1", "S1")
    assert pub.types() == ["overdue", "escalated"]


async def test_board_counts_colours_and_satisfaction() -> None:
    deps, store, pub, sched = fake_deps()
    await open_case(deps, stage_id="S1")
    await open_case(deps, stage_id="S2", due=OPENED + timedelta(hours=1))
    now = OPENED + timedelta(hours=2)
    await h.on_timer(deps.arrived(msg(now)), "C1", "S2")
    rated = CaseRated(
        case_id="C1",
        rating_id="r1",
        level="satisfied",
        department="D1",  # type: ignore[arg-type]
        item_code="I1",
        region="500000",
        rated_at=now,
    )
    await h.on_case_rated(deps.arrived(msg(now)), env(rated, now), rated)
    board = build_board(store.records(), deps.stats.rows(), now, department="D1")
    assert board["counts"] == {"green": 1, "yellow": 0, "red": 1}
    assert board["overdue"][0]["stage_id"] == "S2" and board["overdue"][0]["rung"] == 1
    assert board["satisfaction_rate"] == 1.0
    assert build_board(store.records(), deps.stats.rows(), now, department="D9")["open"] == 0


async def test_a_parallel_stage_is_lit_by_its_sub_tasks_and_only_a_late_department_escalates() -> (
    None
):
    deps, store, pub, sched = fake_deps()
    parent = opened("C1:review").model_copy(update={"parallel_mode": ParallelMode.ALL})
    await h.on_stage_opened(deps.arrived(msg(OPENED)), env(parent, OPENED), parent)
    late_due = DUE
    for dept, due in (("D1", DUE + timedelta(days=10)), ("D2", late_due)):
        sub = opened(f"C1:review:{dept}", due=due).model_copy(
            update={
                "parallel_mode": ParallelMode.ALL,
                "parent_stage_id": "C1:review",
                "department": dept,
            }
        )
        await h.on_stage_opened(deps.arrived(msg(OPENED)), env(sub, OPENED), sub)
    assert ("C1", "C1:review") not in sched.due  # the parent has no timer of its own
    for _ in range(6):  # run every timer that falls due up to three working days after DUE
        now = DUE + timedelta(days=5)
        for (case, stage_id), due in list(sched.due.items()):
            if due is not None and due <= now:
                await h.on_timer(deps.arrived(msg(now)), case, stage_id)
    escalated = {e.data["department"] for e in pub.sent if e.type.endswith("escalated.v1")}
    overdue = {e.data["stage_id"] for e in pub.sent if e.type.endswith("overdue.v1")}
    assert escalated == {"D2"} and overdue == {"C1:review:D2"}
    view = case_view(store.get("C1"), DUE + timedelta(days=5))
    assert view is not None
    lights = {s["stage_id"]: s["light"] for s in view["stages"]}
    assert lights["C1:review"] == "red"  # the worst open sub-task
    board = build_board(store.records(), [], DUE + timedelta(days=5))
    assert board["open"] == 2  # the two sub-tasks, not the parent


async def test_a_suspension_past_its_maximum_resumes_supervision_with_one_finding() -> None:
    deps, store, pub, sched = fake_deps()
    await open_case(deps)
    at = datetime(2026, 9, 24, 10, tzinfo=SHANGHAI)  # Thursday; Sep 25-27 are off
    stop = StageSuspended(
        case_id="C1",
        stage_id="S1",
        reason="expert_review",
        max_length=Limit(value=2),
        suspended_at=at,
    )
    await h.on_stage_suspended(deps.arrived(msg(at)), env(stop, at), stop)
    maximum = sched.due[("C1", "S1")]
    assert maximum == datetime(2026, 9, 29, 23, 59, 59, tzinfo=SHANGHAI)  # Sep 28, 29
    await h.on_timer(deps.arrived(msg(maximum - timedelta(hours=1))), "C1", "S1")
    assert pub.sent == []
    await h.on_timer(deps.arrived(msg(maximum + timedelta(seconds=1))), "C1", "S1")
    [finding] = pub.sent
    assert finding.data["kind"] == "suspension_overrun"
    stage = store.get("C1").stages["S1"]
    assert "suspended_at" not in stage and stage.get("status", "open") == "open"
    # what was left at the suspension (14 h of Sep 24, and Sep 28) counts from the maximum:
    # Sep 30, then (Oct 1-7 off) the rest on Oct 8
    left = CAL.working_seconds_between(at, DUE)
    assert datetime.fromisoformat(stage["due_at"]) == CAL.add_working_seconds(maximum, left)
    assert datetime.fromisoformat(stage["due_at"]).date().isoformat() == "2026-10-08"
    await h.on_timer(deps.arrived(msg(maximum + timedelta(seconds=2))), "C1", "S1")
    assert [e.data.get("kind") for e in pub.sent] == ["suspension_overrun"]  # once
    late = StageResumed(
        case_id="C1",
        stage_id="S1",
        resumed_at=maximum + timedelta(days=3),
        due_at=datetime.fromisoformat(stage["due_at"]),
        clock_resumed_at=maximum,
    )
    await h.on_stage_resumed(deps.arrived(msg(late.resumed_at)), env(late, late.resumed_at), late)
    assert store.get("C1").stages["S1"]["due_at"] == stage["due_at"]


async def test_a_task_nobody_signs_in_is_a_finding_at_its_sign_in_deadline_once() -> None:
    deps, store, pub, sched = fake_deps()
    e = opened("S1").model_copy(update={"assignee": None})
    await h.on_stage_opened(deps.arrived(msg(OPENED)), env(e, OPENED), e)
    deadline = sched.due[("C1", "S1")]
    assert deadline == CAL.add_working_hours(OPENED, 4)  # Wednesday 10:00 + 4 office hours
    await h.on_timer(deps.arrived(msg(deadline - timedelta(minutes=1))), "C1", "S1")
    assert pub.sent == []
    await h.on_timer(deps.arrived(msg(deadline)), "C1", "S1")
    assert [x.data["kind"] for x in pub.sent] == ["late_sign_in"]
    later = deadline + timedelta(days=1)
    s = StageSignedIn(
        case_id="C1", stage_id="S1", officer="o1", department="D1", signed_in_at=later
    )
    await h.on_stage_signed_in(deps.arrived(msg(later)), env(s, later), s)
    assert [x.data.get("kind") for x in pub.sent] == ["late_sign_in"]  # not twice


async def test_prereview_lateness_leaves_out_the_wait_for_supplements() -> None:
    deps, store, pub, sched = fake_deps()
    await open_case(deps, stage_id="P1", stage="prereview")  # Wed Sep 23 10:00
    asked = OPENED + timedelta(hours=2)
    stop = StageSuspended(case_id="C1", stage_id="P1", reason="supplement", suspended_at=asked)
    await h.on_stage_suspended(deps.arrived(msg(asked)), env(stop, asked), stop)
    back = datetime(2026, 10, 12, 9, tzinfo=SHANGHAI)  # the applicant answers weeks later
    resumed = StageResumed(case_id="C1", stage_id="P1", resumed_at=back, due_at=DUE)
    await h.on_stage_resumed(deps.arrived(msg(back)), env(resumed, back), resumed)
    done = back + timedelta(hours=3)
    p = prereview_done("C1", outcome="passed", department="D1", decided_at=done)
    await h.on_prereview_done(deps.arrived(msg(done)), env(p, done), p)
    assert "prereview_late" not in [x.data.get("kind") for x in pub.sent]


async def test_the_case_limits_are_supervised_with_their_own_ladders() -> None:
    from shared.contracts import StageKind

    deps, store, pub, sched = fake_deps()
    for kind, days in ((StageKind.CASE_PROMISED, 1), (StageKind.CASE_STATUTORY, 2)):
        e = opened(f"C1:{kind.value}", stage=kind.value).model_copy(
            update={
                "assignee": None,
                "limit": Limit(value=days),
                "due_at": CAL.deadline(OPENED, Limit(value=days)),
            }
        )
        await h.on_stage_opened(deps.arrived(msg(OPENED)), env(e, OPENED), e)
    later = datetime(2026, 10, 20, 12, tzinfo=SHANGHAI)  # long past both
    for _ in range(8):
        for (case, stage_id), due in list(sched.due.items()):
            if due is not None and due <= later:
                await h.on_timer(deps.arrived(msg(later)), case, stage_id)
    rungs = {
        (e.data["stage"], e.data["rung"]): e.data["recipients"]
        for e in pub.sent
        if e.type.endswith("escalated.v1")
    }
    # a broken promise stays within the department; the statutory limit reaches the inspectors
    assert rungs[("case_promised", 1)] == ["section_chief"]
    assert rungs[("case_promised", 2)] == ["department_head"]
    assert ("case_promised", 3) not in rungs
    assert rungs[("case_statutory", 4)] == ["inspection_office"]
    overdue = [e.data["stage"] for e in pub.sent if e.type.endswith("overdue.v1")]
    assert sorted(overdue) == ["case_promised", "case_statutory"]  # once per case and limit
    assert not [e for e in pub.sent if e.type.endswith("finding.v1")]  # no sign-in for a clock
    board = build_board(store.records(), [], later)
    assert board["open"] == 0
    assert board["case_limits"]["case_promised"]["red"] == 1


async def test_the_board_of_two_partitions_is_the_board_of_all_their_stages() -> None:
    from services.monitor.board import aggregate, merge

    deps, store, pub, sched = fake_deps()
    for n in range(6):
        e = opened(f"S{n}", due=DUE + timedelta(days=n - 3)).model_copy(
            update={"case_id": f"C{n}", "department": "D1" if n % 2 else "D2"}
        )
        await h.on_stage_opened(
            h.Deps(**{**deps.__dict__}).arrived(h.Incoming(n % 2, OPENED, OPENED)),
            env(e, OPENED),
            e,
        )
    now = DUE + timedelta(hours=1)
    records = list(store.records())
    parts = [aggregate([r for r in records if r.partition == p], [], now) for p in (0, 1)]
    whole = build_board(records, [], now)
    merged = merge(parts, now)
    assert merged == whole
    assert merged["open"] == 6 and merged["counts"]["red"] >= 1
    assert merge(parts, now, department="D1")["open"] == 3


async def test_a_second_supplement_request_is_a_finding() -> None:
    deps, store, pub, sched = fake_deps()
    await open_case(deps, stage_id="P1", stage="prereview")
    for n in (1, 2):
        at = OPENED + timedelta(hours=n)
        p = prereview_done("C1", department="D1", decided_at=at)
        await h.on_prereview_done(deps.arrived(msg(at)), env(p, at), p)
    kinds = [x.data["kind"] for x in pub.sent if x.type.endswith("finding.v1")]
    assert kinds == ["repeated_supplement_request"]


@pytest.mark.parametrize("kind", ["register_answer", "objection"])
async def test_stages_nobody_signs_in_get_no_sign_in_timer(kind: str) -> None:
    deps, store, pub, sched = fake_deps()
    e = opened("A1", stage=kind).model_copy(update={"assignee": None})
    await h.on_stage_opened(deps.arrived(msg(OPENED)), env(e, OPENED), e)
    assert "sign_in_due" not in store.get("C1").stages["A1"]
    await h.on_timer(deps.arrived(msg(CAL.add_working_hours(OPENED, 5))), "C1", "A1")
    assert not [x for x in pub.sent if x.type.endswith("finding.v1")]


async def test_a_timer_finding_is_dated_at_its_rule_so_a_replay_repeats_it_exactly() -> None:
    deps, store, pub, sched = fake_deps()
    e = opened("S1").model_copy(update={"assignee": None})
    await h.on_stage_opened(deps.arrived(msg(OPENED)), env(e, OPENED), e)
    deadline = sched.due[("C1", "S1")]
    await h.on_timer(deps.arrived(msg(deadline + timedelta(minutes=7))), "C1", "S1")
    [found] = pub.sent
    assert datetime.fromisoformat(found.data["found_at"]) == deadline
