"""A case leaves supervision exactly when it is finished (decided, and every stage closed,
delivery and verification included), in whatever order the events arrive."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from itertools import permutations

import pytest

from services.monitor import handlers as h
from services.monitor.board import case_view
from shared.calendar import Limit
from shared.clock import SHANGHAI
from shared.contracts import CaseDecided, EventData, StageClosed, StageKind, StageOpened
from tests.support.events import stage_closed, stage_opened
from tests.unit.monitor.fakes import fake_deps
from tests.unit.monitor.test_handlers import env, msg

T0 = datetime(2026, 3, 2, 10, tzinfo=SHANGHAI)


def opened(kind: StageKind, at: datetime) -> StageOpened:
    return stage_opened(
        "C1",
        stage=kind,
        name=kind.value,
        item_code="I1",
        department="D1",
        opened_at=at,
        due_at=at + timedelta(days=3),
        limit=Limit(value=1),
    )


def closed(kind: StageKind, at: datetime, outcome: str = "passed") -> StageClosed:
    return stage_closed("C1", stage=kind, outcome=outcome, department="D1", closed_at=at)


def decided(at: datetime, follow: list[StageKind]) -> CaseDecided:
    return CaseDecided(
        case_id="C1",
        decision="approved",
        department="D1",
        item_code="I1",
        region="500000",
        decided_at=at,
        stages_to_follow=follow,
    )


HANDLER: dict[type, Callable[..., object]] = {
    StageOpened: h.on_stage_opened,
    StageClosed: h.on_stage_closed,
    CaseDecided: h.on_case_decided,
}


async def deliver_all(deps: h.Deps, events: list[EventData], now: datetime) -> None:
    for e in events:
        await HANDLER[type(e)](deps.arrived(msg(now)), env(e, now), e)  # type: ignore[operator]


TAIL = [
    closed(StageKind.DECIDE, T0 + timedelta(hours=1), "approved"),
    decided(T0 + timedelta(hours=1), [StageKind.DELIVER]),
    opened(StageKind.DELIVER, T0 + timedelta(hours=1)),
    closed(StageKind.DELIVER, T0 + timedelta(hours=2), "completed"),
]


@pytest.mark.parametrize("order", list(permutations(range(4))), ids=str)
async def test_a_delivered_case_is_forgotten_in_every_order(order: tuple[int, ...]) -> None:
    deps, store, pub, sched = fake_deps()
    now = T0 + timedelta(hours=3)
    await deliver_all(deps, [opened(StageKind.DECIDE, T0)], T0)
    events = [TAIL[i] for i in order]
    for n, e in enumerate(events):
        await deliver_all(deps, [e], now)
        if n < len(events) - 1:
            assert store.get("C1") is not None, f"forgotten too early, after {e.event_type}"
    assert store.get("C1") is None
    assert case_view(store.get("C1"), now) is None  # GET /v1/stages/C1 answers 404
    assert "overdue" not in pub.types()  # a stage closed early is not watched afterwards


async def test_verification_after_delivery_keeps_the_case_until_it_closes() -> None:
    deps, store, pub, sched = fake_deps()
    now = T0 + timedelta(hours=3)
    await deliver_all(deps, [opened(StageKind.DECIDE, T0)], T0)
    follow = [StageKind.DELIVER, StageKind.VERIFICATION]
    await deliver_all(
        deps,
        [
            closed(StageKind.DECIDE, now, "approved"),
            decided(now, follow),
            opened(StageKind.VERIFICATION, now),
            opened(StageKind.DELIVER, now),
            closed(StageKind.DELIVER, now, "completed"),
        ],
        now,
    )
    assert store.get("C1") is not None  # verification still open
    await deliver_all(deps, [closed(StageKind.VERIFICATION, now, "completed")], now)
    assert store.get("C1") is None


async def test_a_denied_case_is_forgotten_at_its_decision() -> None:
    deps, store, pub, sched = fake_deps()
    await deliver_all(deps, [opened(StageKind.REVIEW, T0)], T0)
    denial = decided(T0, []).model_copy(update={"decision": "denied"})
    await deliver_all(deps, [closed(StageKind.REVIEW, T0, "denied"), denial], T0)
    assert store.get("C1") is None


async def test_a_rectification_after_the_case_ended_is_forgotten_once_answered() -> None:
    from shared.contracts import RectificationClosed, RectificationOpened

    deps, store, pub, sched = fake_deps()
    rect = RectificationOpened(
        case_id="C1",
        rectification_id="RECT-C1",
        rating_level="dissatisfied",
        department="D1",
        item_code="I1",
        region="500000",
        opened_at=T0,
        due_at=T0 + timedelta(days=7),
        limit=Limit(value=5),
    )
    await h.on_rectification_opened(deps.arrived(msg(T0)), env(rect, T0), rect)
    assert store.get("C1") is not None
    answer = RectificationClosed(
        case_id="C1",
        rectification_id="RECT-C1",
        department="D1",
        officer="o",
        answer="done",
        closed_at=T0 + timedelta(days=1),
    )
    await h.on_rectification_closed(deps.arrived(msg(T0)), env(answer, T0), answer)
    assert store.get("C1") is None
