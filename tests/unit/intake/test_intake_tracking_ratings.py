"""Tracking from approval's events, supplements, ratings, rectifications and invitations."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from services.intake.handlers import bind, invite_unrated_cases
from shared.clock import SHANGHAI
from shared.contracts import (
    CaseDecided,
    CaseRated,
    CaseSupplemented,
    EventData,
    RatingInvited,
    RectificationClosed,
    RectificationOpened,
    StageResumed,
    StageSuspended,
    make_envelope,
)
from tests.support.events import prereview_done, stage_closed, stage_opened
from tests.support.tokens import applicant_token, lasting_token, officer_headers
from tests.unit.intake.intake_fakes import T0, Wiring
from tests.unit.intake.test_intake_submission import business_licence


def client(w: Wiring) -> httpx.AsyncClient:
    return w.client()


async def deliver(w: Wiring, data: EventData, event_id: str) -> None:
    envelope = make_envelope(data, source="/egov/approval", time=w.clock.now(), id=event_id)
    await bind(w.deps)[data.event_type](envelope, data)


async def submitted(w: Wiring, c: httpx.AsyncClient) -> tuple[str, str]:
    body = (await c.post("/v1/cases", json=business_licence())).json()
    return body["case_id"], body["verification_code"]


def decided(case_id: str, at: datetime = T0) -> CaseDecided:
    return CaseDecided(
        case_id=case_id,
        decision="approved",
        department="500000-SCJ",
        item_code="500000-SCJ-001",
        region="500000",
        decided_at=at,
    )


async def test_applicant_follows_the_case_in_plain_words() -> None:
    w = Wiring()
    async with client(w) as c:
        case_id, code = await submitted(w, c)
        assert (await c.get(f"/v1/cases/{case_id}", params={"code": "WRONG123"})).status_code == 404
        assert (await c.get(f"/v1/cases/{case_id}")).status_code == 404
        await deliver(
            w,
            prereview_done(
                case_id, reasons=["租赁合同未签字"], requested_materials=["premises"], decided_at=T0
            ),
            "ev-1",
        )
        view = (await c.get(f"/v1/cases/{case_id}", headers={"X-Verification-Code": code})).json()
        assert view["status"] == "supplement_requested"
        assert "租赁合同未签字" in view["timeline"][-1]["text"]
        assert view["requested_materials"] == ["premises"]

        r = await c.post(
            f"/v1/cases/{case_id}/supplements",
            params={"code": code},
            json={
                "materials": [
                    {"code": "premises", "form": "upload", "sha256": "c" * 64, "size": 10}
                ]
            },
        )
        assert r.status_code == 200 and r.json()["status"] == "supplemented"
        [supp] = w.store.events_of(CaseSupplemented.event_type)
        assert supp.subject == case_id
        r = await c.post(
            f"/v1/cases/{case_id}/supplements",
            params={"code": code},
            json={
                "materials": [
                    {"code": "premises", "form": "upload", "sha256": "c" * 64, "size": 10}
                ]
            },
        )
        assert r.status_code == 409

        due = datetime(2026, 3, 3, 23, 59, 59, tzinfo=SHANGHAI)
        opened = stage_opened(case_id, opened_at=T0, due_at=due, limit={"value": 1})
        await deliver(w, opened, "ev-2")
        await deliver(w, opened, "ev-2")  # replayed: applied once
        view = (await c.get(f"/v1/cases/{case_id}", params={"code": code})).json()
        assert view["status"] == "in_progress" and view["deadline"] == due.isoformat()
        assert [s["name"] for s in view["current_stages"]] == ["审查"]
        assert sum(e["kind"] == "stage_opened" for e in view["timeline"]) == 1

        await deliver(
            w,
            stage_closed(case_id, closed_at=T0),
            "ev-3",
        )
        await deliver(w, decided(case_id), "ev-4")
        view = (await c.get(f"/v1/cases/{case_id}", params={"code": code})).json()
        assert view["status"] == "decided" and view["decision_text"] == "准予许可"
        assert view["current_stages"] == [] and view["deadline"] is None
        assert [e["kind"] for e in view["timeline"]] == [
            "submitted",
            "supplement_requested",
            "supplemented",
            "stage_opened",
            "stage_closed",
            "decided",
        ]
        # the applicant's own token opens the case too, another applicant's does not
        own = applicant_token(
            w.settings, id_number=business_licence()["applicant"]["id_number"], name="张三"
        )
        other = applicant_token(w.settings, id_number="110101199003070011", name="李四")
        # a token whose subject happens to be the ID number, without the provider's real-name
        # claims, proves nothing
        bare = lasting_token(
            w.settings, subject=business_licence()["applicant"]["id_number"], roles=["applicant"]
        )
        assert (
            await c.get(f"/v1/cases/{case_id}", headers={"Authorization": f"Bearer {bare}"})
        ).status_code == 404
        assert (
            await c.get(f"/v1/cases/{case_id}", headers={"Authorization": f"Bearer {own}"})
        ).status_code == 200
        assert (
            await c.get(f"/v1/cases/{case_id}", headers={"Authorization": f"Bearer {other}"})
        ).status_code == 404


async def test_events_for_unknown_cases_are_ignored() -> None:
    w = Wiring()
    await deliver(w, decided("510100-20260302-000999"), "ev-x")
    assert w.store.cases == {}


def officer(w: Wiring, department: str, roles: list[str]) -> dict[str, str]:
    return officer_headers(
        w.settings,
        subject=f"officer@{department}",
        roles=roles,
        department=department,
    )


async def test_rating_once_after_decision_and_bad_rating_opens_a_rectification() -> None:
    w = Wiring()
    async with client(w) as c:
        case_id, code = await submitted(w, c)
        rating: dict[str, Any] = {
            "level": "dissatisfied",
            "scores": {"speed": 2},
            "comment": "等待时间太长",
        }
        r = await c.post(f"/v1/cases/{case_id}/rating", params={"code": code}, json=rating)
        assert r.status_code == 409 and "not decided" in r.json()["detail"]
        await deliver(w, decided(case_id), "ev-d")
        r = await c.post(
            f"/v1/cases/{case_id}/rating", params={"code": code}, json={"level": "great"}
        )
        assert r.status_code == 422
        r = await c.post(f"/v1/cases/{case_id}/rating", params={"code": code}, json=rating)
        assert r.status_code == 201, r.text
        rect_id = r.json()["rectification"]["rectification_id"]
        r2 = await c.post(
            f"/v1/cases/{case_id}/rating", params={"code": code}, json={"level": "very_satisfied"}
        )
        assert r2.status_code == 409 and "rated once" in r2.json()["detail"]

        [rated] = w.store.events_of(CaseRated.event_type)
        assert rated.data["level"] == "dissatisfied" and rated.data["department"] == "500000-SCJ"
        [opened] = w.store.events_of(RectificationOpened.event_type)
        # Monday 2 March 2026 + 5 working days = Monday 9 March, end of day (Shanghai)
        assert datetime.fromisoformat(opened.data["due_at"]) == datetime(
            2026, 3, 9, 23, 59, 59, tzinfo=SHANGHAI
        )
        assert opened.data["limit"] == {"value": 5, "unit": "working_days"}

        answer = {"answer": "已约谈窗口人员并优化排队流程"}
        r = await c.post(
            f"/v1/rectifications/{rect_id}/answer",
            json=answer,
            headers=officer(w, "500000-GAJ", ["handler"]),
        )
        assert r.status_code == 403
        r = await c.post(
            f"/v1/rectifications/{rect_id}/answer",
            json=answer,
            headers=officer(w, "500000-SCJ", ["supervisor"]),
        )
        assert r.status_code == 403
        r = await c.post(
            f"/v1/rectifications/{rect_id}/answer",
            json=answer,
            headers=officer(w, "500000-SCJ", ["department_head"]),
        )
        assert r.status_code == 200 and r.json()["on_time"] is True
        r = await c.post(
            f"/v1/rectifications/{rect_id}/answer",
            json=answer,
            headers=officer(w, "500000-SCJ", ["handler"]),
        )
        assert r.status_code == 409
        assert (
            await c.post(
                "/v1/rectifications/RECT-nope/answer",
                json=answer,
                headers=officer(w, "500000-SCJ", ["handler"]),
            )
        ).status_code == 404
    [closed] = w.store.events_of(RectificationClosed.event_type)
    assert closed.data["officer"] == "officer@500000-SCJ"


@pytest.mark.parametrize(
    "level,opens",
    [("very_satisfied", False), ("basically_satisfied", False), ("very_dissatisfied", True)],
)
async def test_only_bad_ratings_open_rectifications(level: str, opens: bool) -> None:
    w = Wiring(rectification_days=10)
    async with client(w) as c:
        case_id, code = await submitted(w, c)
        await deliver(w, decided(case_id), "ev-d")
        r = await c.post(
            f"/v1/cases/{case_id}/rating", params={"code": code}, json={"level": level}
        )
    assert r.status_code == 201
    assert len(w.store.events_of(RectificationOpened.event_type)) == int(opens)


async def test_unrated_decided_cases_are_invited_once_after_the_configured_days() -> None:
    w = Wiring(rating_invite_after_days=3)
    async with client(w) as c:
        first, _ = await submitted(w, c)
        second, code2 = await submitted(w, c)
        third, _ = await submitted(w, c)
    await deliver(w, decided(first), "ev-1")
    await deliver(w, decided(second), "ev-2")
    await deliver(w, decided(third, T0 + timedelta(days=2)), "ev-3")
    async with client(w) as c:
        await c.post(
            f"/v1/cases/{second}/rating", params={"code": code2}, json={"level": "satisfied"}
        )
    w.clock.advance(timedelta(days=2))
    assert await invite_unrated_cases(w.deps) == 0
    w.clock.advance(timedelta(days=1, seconds=1))
    assert await invite_unrated_cases(w.deps) == 1
    assert await invite_unrated_cases(w.deps) == 0
    invited = w.store.events_of(RatingInvited.event_type)
    assert [e.subject for e in invited] == [first]


async def test_suspension_and_resumption_show_in_plain_words_and_move_the_deadline() -> None:
    w = Wiring()
    async with client(w) as c:
        case_id, code = await submitted(w, c)
        due = datetime(2026, 3, 4, 23, 59, 59, tzinfo=SHANGHAI)
        later = datetime(2026, 3, 11, 23, 59, 59, tzinfo=SHANGHAI)
        await deliver(
            w,
            stage_opened(case_id, opened_at=T0, due_at=due, limit={"value": 2}),
            "ev-o",
        )
        await deliver(
            w,
            StageSuspended(
                case_id=case_id,
                stage_id=f"{case_id}:review",
                reason="expert_review",
                suspended_at=T0,
            ),
            "ev-s",
        )
        view = (await c.get(f"/v1/cases/{case_id}", params={"code": code})).json()
        assert "专家评审" in view["timeline"][-1]["text"] and view["deadline"] is None
        assert view["current_stages"][0]["suspended"] is True
        await deliver(
            w,
            StageResumed(
                case_id=case_id, stage_id=f"{case_id}:review", resumed_at=T0, due_at=later
            ),
            "ev-r",
        )
        view = (await c.get(f"/v1/cases/{case_id}", params={"code": code})).json()
    assert view["deadline"] == later.isoformat()
    assert "2026-03-11" in view["timeline"][-1]["text"]


async def test_officers_may_read_a_case_but_not_rate_it_for_the_applicant() -> None:
    w = Wiring()
    headers = officer(w, "500000-SCJ", ["handler"])
    async with client(w) as c:
        case_id, _ = await submitted(w, c)
        await deliver(w, decided(case_id), "ev-d")
        assert (await c.get(f"/v1/cases/{case_id}", headers=headers)).status_code == 200
        r = await c.post(
            f"/v1/cases/{case_id}/rating", headers=headers, json={"level": "very_satisfied"}
        )
    assert r.status_code == 404
    assert w.store.events_of(CaseRated.event_type) == []
