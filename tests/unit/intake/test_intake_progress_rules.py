"""What the applicant's record keeps of approval's events (docs/intake.md, "Tracking"): each
stage's suspension, resumption and close as a timeline entry in plain words, applied once per
event id, and the open stages as they stand. The rules run on a case submitted through the
service's own API (the real bootstrap on fakes)."""

from __future__ import annotations

from datetime import datetime, timedelta

from services.intake.domain import CaseRecord
from services.intake.domain.case import local_text
from services.intake.domain.progress import (
    due_text,
    on_stage_closed,
    on_stage_opened,
    on_stage_resumed,
    on_stage_suspended,
)
from shared.clock import SHANGHAI
from shared.contracts.common import StageKind
from tests.unit.intake.intake_fakes import T0, Wiring
from tests.unit.intake.test_intake_submission import business_licence

DUE = datetime(2026, 3, 4, 23, 59, 59, tzinfo=SHANGHAI)
LATER = datetime(2026, 3, 11, 23, 59, 59, tzinfo=SHANGHAI)


async def submitted_case() -> CaseRecord:
    w = Wiring()
    async with w.client() as c:
        r = await c.post("/v1/cases", json=business_licence())
    assert r.status_code == 201, r.text
    case = await w.store.get_case(r.json()["case_id"])
    assert case is not None
    return case


def with_two_stages(case: CaseRecord, *, provisional: bool = False) -> CaseRecord:
    for stage, name in ((StageKind.REVIEW, "审查"), (StageKind.DECIDE, "决定")):
        case = on_stage_opened(
            case,
            event_id=f"ev-open-{stage.value}",
            stage_id=f"{case.case_id}:{stage.value}",
            stage=stage,
            name=name,
            department="500000-SCJ",
            due_at=DUE,
            at=T0,
            due_provisional=provisional,
        )
    return case


async def test_a_suspension_names_its_reason_and_stops_only_that_stage() -> None:
    case = with_two_stages(await submitted_case())
    review = f"{case.case_id}:review"
    at, ends_by = T0 + timedelta(hours=2), T0 + timedelta(days=10)
    after = on_stage_suspended(
        case, event_id="ev-s", stage_id=review, reason="hearing", at=at, ends_by=ends_by
    )
    entry = after.timeline[-1]
    assert (entry.kind, entry.event_id, entry.at) == ("stage_suspended", "ev-s", at)
    assert entry.text == "办理暂停：听证（这段时间不计入办理时限）"
    stopped, other = after.open_stages
    assert (stopped.suspended, stopped.suspended_at, stopped.suspension_ends_by) == (
        True,
        at,
        ends_by,
    )
    assert (other.suspended, other.suspended_at) == (False, None)
    assert on_stage_suspended(after, event_id="ev-s", stage_id=review, reason="x", at=at) is after
    # a reason without plain words is shown as it came
    unnamed = on_stage_suspended(case, event_id="ev-u", stage_id=review, reason="quarantine", at=at)
    assert unnamed.timeline[-1].text == "办理暂停：quarantine（这段时间不计入办理时限）"


async def test_a_resumption_moves_the_deadline_and_restarts_the_clock() -> None:
    case = with_two_stages(await submitted_case(), provisional=True)
    review = f"{case.case_id}:review"
    at = T0 + timedelta(days=1)
    paused = on_stage_suspended(
        case, event_id="ev-s", stage_id=review, reason="testing", at=T0, ends_by=LATER
    )
    back = on_stage_resumed(paused, event_id="ev-r", stage_id=review, due_at=LATER, at=at)
    entry = back.timeline[-1]
    assert (entry.kind, entry.event_id) == ("stage_resumed", "ev-r")
    assert entry.text == f"恢复办理，办理期限顺延至 {local_text(LATER)}"  # no longer provisional
    resumed = back.open_stages[0]
    assert (resumed.suspended, resumed.suspended_at, resumed.suspension_ends_by) == (
        False,
        None,
        None,
    )
    assert (resumed.due_at, resumed.due_provisional, resumed.since) == (LATER, False, at)
    # the clock may have run again before the event said so (the stop's maximum)
    since = T0 + timedelta(hours=20)
    provisional = on_stage_resumed(
        paused,
        event_id="ev-r2",
        stage_id=review,
        due_at=LATER,
        at=at,
        due_provisional=True,
        running_since=since,
    )
    assert provisional.timeline[-1].text == f"恢复办理，办理期限顺延至 {due_text(LATER, True)}"
    assert (provisional.open_stages[0].due_provisional, provisional.open_stages[0].since) == (
        True,
        since,
    )
    assert on_stage_resumed(back, event_id="ev-r", stage_id=review, due_at=DUE, at=at) is back


async def test_a_closed_stage_leaves_the_open_ones_with_its_outcome_in_plain_words() -> None:
    case = with_two_stages(await submitted_case())
    review, decide = f"{case.case_id}:review", f"{case.case_id}:decide"
    at = T0 + timedelta(days=1)
    closed = on_stage_closed(
        case,
        event_id="ev-c",
        stage_id=review,
        stage=StageKind.REVIEW,
        outcome="passed",
        reason="材料齐全",
        at=at,
    )
    entry = closed.timeline[-1]
    assert (entry.kind, entry.event_id, entry.text) == (
        "stage_closed",
        "ev-c",
        "审查结束：通过（材料齐全）",
    )
    assert [s.stage_id for s in closed.open_stages] == [decide]
    assert (
        on_stage_closed(
            closed,
            event_id="ev-c",
            stage_id=decide,
            stage=StageKind.DECIDE,
            outcome="x",
            reason=None,
            at=at,
        )
        is closed
    )
    plain = on_stage_closed(
        case,
        event_id="ev-d",
        stage_id=decide,
        stage=StageKind.DECIDE,
        outcome="approved",
        reason=None,
        at=at,
    )
    assert plain.timeline[-1].text == "决定结束：准予"
    # a stage never seen opened is named by its kind; an outcome without plain words as it came
    unseen = on_stage_closed(
        case,
        event_id="ev-x",
        stage_id=f"{case.case_id}:verification",
        stage=StageKind.VERIFICATION,
        outcome="withdrawn",
        reason=None,
        at=at,
    )
    assert unseen.timeline[-1].text == "核查结束：withdrawn"
    assert len(unseen.open_stages) == 2
    # the stage's own name, as opened, names it when it closes
    named = on_stage_opened(
        case,
        event_id="ev-n",
        stage_id=f"{case.case_id}:onsite",
        stage=StageKind.REVIEW,
        name="现场核查",
        department="500000-SCJ",
        due_at=DUE,
        at=T0,
    )
    done = on_stage_closed(
        named,
        event_id="ev-nc",
        stage_id=f"{case.case_id}:onsite",
        stage=StageKind.REVIEW,
        outcome="completed",
        reason=None,
        at=at,
    )
    assert done.timeline[-1].text == "现场核查结束：完成"
    objection = on_stage_closed(
        case,
        event_id="ev-o",
        stage_id=f"{case.case_id}:objection",
        stage=StageKind.OBJECTION,
        outcome="completed",
        reason=None,
        at=at,
    )
    assert objection.timeline[-1].text == "objection结束：完成"


async def test_the_cases_own_clock_closes_without_an_entry_of_its_own() -> None:
    case = await submitted_case()
    clock = f"{case.case_id}:case_promised"
    opened = on_stage_opened(
        case,
        event_id="ev-p",
        stage_id=clock,
        stage=StageKind.CASE_PROMISED,
        name="承诺时限",
        department="500000-SCJ",
        due_at=LATER,
        at=T0,
    )
    closed = on_stage_closed(
        opened,
        event_id="ev-pc",
        stage_id=clock,
        stage=StageKind.CASE_PROMISED,
        outcome="completed",
        reason=None,
        at=T0 + timedelta(days=3),
    )
    assert closed.open_stages == [] and closed.timeline == opened.timeline
