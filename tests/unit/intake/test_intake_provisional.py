"""Provisional dates for the applicant and the departments across the 2026/2027 boundary."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from services.intake.handlers import recompute_rectification_deadlines
from shared.calendar import Limit, YearSchedule
from shared.calendar.statutory import statutory_holidays
from shared.clock import SHANGHAI
from shared.contracts import DeadlineChanged, RectificationOpened, StageOpened
from tests.support.events import stage_opened
from tests.unit.intake.intake_fakes import Wiring
from tests.unit.intake.test_intake_tracking_ratings import client, decided, deliver, submitted

DEC_28 = datetime(2026, 12, 28, 10, tzinfo=SHANGHAI)
FIXTURE_2027 = YearSchedule(
    year=2027,
    source="test fixture, not an official schedule",
    off=tuple(sorted(statutory_holidays(2027) | {date(2027, 1, 4)})),
)


async def test_a_bad_rating_in_late_december_opens_a_provisional_rectification_recomputed_later() -> (
    None
):
    w = Wiring()
    w.clock.set(DEC_28)
    async with client(w) as c:
        case_id, code = await submitted(w, c)
        await deliver(w, decided(case_id, DEC_28), "ev-d")
        r = await c.post(
            f"/v1/cases/{case_id}/rating", params={"code": code}, json={"level": "dissatisfied"}
        )
        assert r.status_code == 201, r.text
        rect = r.json()["rectification"]
        # Dec 29, 30, 31, (Jan 1 statutory holiday), Jan 4, 5 -> Jan 5, provisional
        assert rect["due_at"].startswith("2027-01-05T23:59:59") and rect["due_provisional"]
        [opened] = w.store.events_of(RectificationOpened.event_type)
        assert opened.data["due_provisional"] is True

        assert await recompute_rectification_deadlines(w.deps) == 0  # same calendar
        w.deps.calendar.publish(FIXTURE_2027)
        assert await recompute_rectification_deadlines(w.deps) == 1
        [changed] = w.store.events_of(DeadlineChanged.event_type)
        assert changed.data["kind"] == "rectification"
        assert changed.data["new_due_at"].startswith("2027-01-06T23:59:59")
        assert changed.data["due_provisional"] is False
        assert changed.data["applicant_told"] is False
        assert await recompute_rectification_deadlines(w.deps) == 0


DUE = datetime(2027, 1, 5, 23, 59, 59, tzinfo=SHANGHAI)


def review_opened(case_id: str) -> StageOpened:
    return stage_opened(
        case_id, opened_at=DEC_28, due_at=DUE, limit=Limit(value=5), due_provisional=True
    )


def review_moved(case_id: str, new_due: datetime) -> DeadlineChanged:
    return DeadlineChanged(
        case_id=case_id,
        kind="stage",
        stage_id=f"{case_id}:review",
        department="500000-SCJ",
        region="500000",
        old_due_at=DUE,
        new_due_at=new_due,
        due_provisional=False,
        calendar_version="2027.test",
        reason="published",
        applicant_told=True,
        changed_at=DEC_28 + timedelta(days=1),
    )


async def test_the_tracking_view_marks_provisional_dates_and_follows_deadline_changes() -> None:
    w = Wiring()
    w.clock.set(DEC_28)
    async with client(w) as c:
        case_id, code = await submitted(w, c)
        await deliver(w, review_opened(case_id), "ev-o")
        view = (await c.get(f"/v1/cases/{case_id}", params={"code": code})).json()
        assert view["deadline_provisional"] is True
        assert view["current_stages"][0]["due_provisional"] is True
        assert "暂定" in view["timeline"][-1]["text"]
        new_due = DUE + timedelta(days=1)
        change = review_moved(case_id, new_due)
        await deliver(w, change, "ev-c")
        await deliver(w, change, "ev-c")  # a redelivery changes nothing
        view = (await c.get(f"/v1/cases/{case_id}", params={"code": code})).json()
        assert view["deadline"] == new_due.isoformat()
        assert view["deadline_provisional"] is False
        texts = [e["text"] for e in view["timeline"] if e["kind"] == "deadline_changed"]
        assert len(texts) == 1 and "2027-01-06 23:59" in texts[0] and "暂定" not in texts[0]


async def test_a_confirmed_date_is_said_once_without_claiming_it_moved() -> None:
    w = Wiring()
    w.clock.set(DEC_28)
    async with client(w) as c:
        case_id, code = await submitted(w, c)
        await deliver(w, review_opened(case_id), "ev-o")
        await deliver(w, review_moved(case_id, DUE), "ev-s")
        view = (await c.get(f"/v1/cases/{case_id}", params={"code": code})).json()
        assert view["deadline_provisional"] is False
        kinds = [e["kind"] for e in view["timeline"]]
        assert "deadline_confirmed" in kinds and "deadline_changed" not in kinds
