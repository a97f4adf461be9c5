"""A rectification (整改 of a bad rating) is supervised like a stage: lit, escalated, counted on
the board, and answered late it is a ``rectification_late`` finding."""

from __future__ import annotations

from datetime import datetime, timedelta

from services.monitor import handlers as h
from services.monitor.board import build_board
from shared.calendar import Limit, load_default_calendar
from shared.clock import SHANGHAI
from shared.contracts import RectificationClosed, RectificationOpened
from tests.unit.monitor.fakes import fake_deps
from tests.unit.monitor.test_handlers import env, msg

CAL = load_default_calendar()
OPENED = datetime(2026, 3, 2, 10, tzinfo=SHANGHAI)  # Monday
DUE = CAL.deadline(OPENED, Limit(value=5))  # Monday 2026-03-09, end of the day


def rectification(case_id: str) -> RectificationOpened:
    return RectificationOpened(
        case_id=case_id,
        rectification_id=f"RECT-{case_id}",
        rating_level="very_dissatisfied",
        department="D1",
        item_code="I1",
        region="500000",
        opened_at=OPENED,
        due_at=DUE,
        limit=Limit(value=5),
    )


def answer(case_id: str, at: datetime) -> RectificationClosed:
    return RectificationClosed(
        case_id=case_id,
        rectification_id=f"RECT-{case_id}",
        department="D1",
        officer="cq-scj-d01",
        answer="已整改并向申请人说明",
        closed_at=at,
    )


async def open_rectification(deps: h.Deps, case_id: str = "C1") -> None:
    e = rectification(case_id)
    await h.on_rectification_opened(deps.arrived(msg(OPENED)), env(e, OPENED), e)


async def close_rectification(deps: h.Deps, case_id: str, at: datetime) -> None:
    e = answer(case_id, at)
    await h.on_rectification_closed(deps.arrived(msg(at)), env(e, at), e)


async def test_an_open_rectification_turns_yellow_then_red_and_climbs_the_ladder() -> None:
    deps, store, pub, sched = fake_deps()
    await open_rectification(deps)
    assert DUE == datetime(2026, 3, 9, 23, 59, 59, tzinfo=SHANGHAI)
    # nobody signs a rectification in: the first timer is the warning, one working day ahead
    warn_at = sched.due[("C1", "RECT-C1")]
    assert warn_at == datetime(2026, 3, 8, 23, 59, 59, tzinfo=SHANGHAI)
    board = build_board(store.records(), deps.stats.rows(), OPENED)
    assert board["rectifications"] == {"open": 1, "overdue": 0}
    assert board["counts"]["green"] == 1

    await h.on_timer(deps.arrived(msg(warn_at)), "C1", "RECT-C1")
    await h.on_timer(deps.arrived(msg(DUE)), "C1", "RECT-C1")
    assert pub.types() == ["warned", "overdue", "escalated"]
    assert {e.data["stage"] for e in pub.sent} == {"rectification"}
    assert {e.data["stage_id"] for e in pub.sent} == {"RECT-C1"}
    assert pub.sent[2].data["recipients"] == ["handler"]
    board = build_board(store.records(), deps.stats.rows(), DUE)
    assert board["rectifications"] == {"open": 1, "overdue": 1}
    assert [o["stage_id"] for o in board["overdue"]] == ["RECT-C1"]


async def test_a_rectification_answered_late_is_a_finding_and_one_in_time_is_not() -> None:
    deps, store, pub, sched = fake_deps()
    await open_rectification(deps, "C1")
    await open_rectification(deps, "C2")
    await close_rectification(deps, "C2", DUE - timedelta(hours=1))
    assert pub.sent == []
    # answered a day late, before the monitor's own timer saw it go red
    await close_rectification(deps, "C1", DUE + timedelta(days=1))
    [finding] = pub.sent
    assert finding.type == "gov.egov.supervision.finding.v1"
    assert (finding.data["kind"], finding.data["stage_id"]) == ("rectification_late", "RECT-C1")
    assert finding.data["department"] == "D1"
    # both answered: neither is supervised any more, the board keeps the aggregates
    assert store.get("C1") is None and store.get("C2") is None
    board = build_board(store.records(), deps.stats.rows(), DUE + timedelta(days=1))
    assert board["rectifications"] == {"open": 0, "overdue": 0}
    assert (board["closed"], board["on_time_rate"]) == (2, 0.5)
