"""A bundle is rated once, as one thing (好差评): one case.rated for the bundle with its lead
department and its items' departments, never one per item; refused before it is finished,
twice, by an officer or with a wrong code; a bad rating opens a rectification the lead
department answers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from services.intake.domain.bundle_rating import due_for_invitation
from services.intake.domain.case import Rating
from services.intake.handlers import invite_unrated_cases, recompute_rectification_deadlines
from services.intake.jobs import invite_unrated
from shared.contracts import (
    CaseRated,
    DeadlineChanged,
    RatingInvited,
    RatingLevel,
    RectificationClosed,
    RectificationOpened,
)
from tests.support.tokens import applicant_token, bearer, officer_headers
from tests.unit.intake.intake_fakes import Wiring
from tests.unit.intake.test_intake_bundles import (
    LICENCE,
    SEAL,
    SOCIAL,
    TAX,
    apply,
    decide,
    opening_a_business,
)
from tests.unit.intake.test_intake_provisional import DEC_28, FIXTURE_2027

DEPARTMENTS = ["500000-SCJ", "500000-GAJ", "500000-SWJ", "500000-RSJ"]


async def finished(w: Wiring, licence: str = "approved") -> dict[str, Any]:
    """A bundle of four items, every one decided (or cancelled after a denied licence)."""
    body: dict[str, Any] = (await apply(w, opening_a_business())).json()
    ids = {i["item_code"]: i["case_id"] for i in body["items"]}
    await decide(w, ids[LICENCE], LICENCE, licence, ref="EL-BL-500000-0001")
    if licence == "approved":
        for code in (SEAL, TAX, SOCIAL):
            await decide(w, ids[code], code, "approved")
    return body


async def rate(w: Wiring, body: dict[str, Any], rating: dict[str, Any], **headers: str) -> Any:
    async with w.client(signed_in=False) as c:
        return await c.post(f"/v1/bundles/{body['bundle_id']}/rating", json=rating, headers=headers)


async def test_a_finished_bundle_is_rated_once_as_one_thing() -> None:
    w = Wiring()
    body = await finished(w)
    code = {"X-Verification-Code": body["verification_code"]}
    r = await rate(w, body, {"level": "very_satisfied", "scores": {"speed": 5}}, **code)
    assert r.status_code == 201, r.text
    assert r.json()["departments"] == DEPARTMENTS and "rectification" not in r.json()
    [rated] = [CaseRated.model_validate(e.data) for e in w.store.events_of(CaseRated.event_type)]
    assert rated.case_id == rated.bundle_id == body["bundle_id"]
    assert (rated.department, rated.item_code) == ("500000-SCJ", "500000-YJS-001")
    assert rated.departments == DEPARTMENTS and rated.level == "very_satisfied"
    again = await rate(w, body, {"level": "satisfied"}, **code)
    assert again.status_code == 409
    assert again.json()["errors"] == [{"field": "bundle_id", "message": "already rated"}]
    assert len(w.store.events_of(CaseRated.event_type)) == 1
    async with w.client(signed_in=False) as c:
        view = (await c.get(f"/v1/bundles/{body['bundle_id']}", headers=code)).json()
    assert view["rated"] is True


async def test_a_bundle_in_progress_is_not_rated_and_its_cases_never_on_their_own() -> None:
    w = Wiring()
    body = (await apply(w, opening_a_business())).json()
    ids = {i["item_code"]: i["case_id"] for i in body["items"]}
    code = {"X-Verification-Code": body["verification_code"]}
    await decide(w, ids[LICENCE], LICENCE, "approved", ref="EL-BL-500000-0001")
    r = await rate(w, body, {"level": "satisfied"}, **code)
    assert r.status_code == 409
    assert r.json()["errors"] == [
        {"field": "bundle_id", "message": "the bundle is still in progress"}
    ]
    async with w.client(signed_in=False) as c:  # the decided licence item is no rating of its own
        own = await c.post(
            f"/v1/cases/{ids[LICENCE]}/rating", json={"level": "satisfied"}, headers=code
        )
    assert own.status_code == 409 and own.json()["errors"][0]["field"] == "case_no"
    assert w.store.events_of(CaseRated.event_type) == []


async def test_only_the_applicant_rates_the_bundle() -> None:
    w = Wiring()
    body = await finished(w, licence="denied")  # not completed: still rated, once
    officer = officer_headers(w.settings, subject="o1", roles=["handler"], department="500000-SCJ")
    r = await rate(w, body, {"level": "satisfied"}, **officer)
    assert r.status_code == 403 and r.json()["errors"][0]["field"] == "Authorization"
    r = await rate(w, body, {"level": "satisfied"}, **{"X-Verification-Code": "WRONG234"})
    assert r.status_code == 404
    other = applicant_token(w.settings, id_number="11010519491231002X", name="李四")
    assert (await rate(w, body, {"level": "satisfied"}, **bearer(other))).status_code == 404
    assert w.store.events_of(CaseRated.event_type) == []
    own = applicant_token(
        w.settings, id_number=opening_a_business()["applicant"]["id_number"], name="张三"
    )
    assert (await rate(w, body, {"level": "satisfied"}, **bearer(own))).status_code == 201


async def test_a_bad_bundle_rating_opens_a_rectification_the_lead_department_answers() -> None:
    w = Wiring()
    body = await finished(w)
    code = {"X-Verification-Code": body["verification_code"]}
    r = await rate(w, body, {"level": "dissatisfied", "comment": "跑了两次"}, **code)
    rect = r.json()["rectification"]
    assert rect["rectification_id"] == f"RECT-{body['bundle_id']}"
    assert rect["department"] == "500000-SCJ"
    [opened] = w.store.events_of(RectificationOpened.event_type)
    assert opened.data["case_id"] == body["bundle_id"]
    answer = {"answer": "已优化一件事联办流程"}
    path = f"/v1/rectifications/{rect['rectification_id']}/answer"
    async with w.client(signed_in=False) as c:
        tax = officer_headers(w.settings, subject="t", roles=["handler"], department="500000-SWJ")
        assert (await c.post(path, json=answer, headers=tax)).status_code == 403
        lead = officer_headers(
            w.settings, subject="h", roles=["department_head"], department="500000-SCJ"
        )
        r = await c.post(path, json=answer, headers=lead)
        assert r.status_code == 200 and r.json()["on_time"] is True
        assert (await c.post(path, json=answer, headers=lead)).status_code == 409
    [closed] = w.store.events_of(RectificationClosed.event_type)
    assert closed.data["case_id"] == body["bundle_id"]


async def test_a_finished_bundle_is_invited_to_rate_once_and_never_its_items() -> None:
    w = Wiring(rating_invite_after_days=1)
    body = await finished(w)
    bundle_id = body["bundle_id"]
    w.clock.advance(timedelta(hours=23))  # the delay of a case's invitation: not yet
    assert await invite_unrated(w.deps) == 0
    w.clock.advance(timedelta(hours=2))
    assert await invite_unrated_cases(w.deps) == 0  # the items, never one by one
    assert await invite_unrated(w.deps) == 1
    [invited] = w.store.events_of(RatingInvited.event_type)
    assert invited.data["case_id"] == invited.data["bundle_id"] == bundle_id
    assert invited.subject == bundle_id
    w.clock.advance(timedelta(days=3))
    assert await invite_unrated(w.deps) == 0  # once
    assert len(w.store.events_of(RatingInvited.event_type)) == 1
    code = {"X-Verification-Code": body["verification_code"]}
    assert (await rate(w, body, {"level": "satisfied"}, **code)).status_code == 201


async def test_the_bundle_invitation_rule_closed_unrated_uninvited_old_enough() -> None:
    w = Wiring()
    body = await finished(w)
    app = w.bundles.applications[body["bundle_id"]]
    assert app.closed_at is not None
    day = timedelta(days=1)
    assert due_for_invitation(app, now=app.closed_at + day, after=day)
    assert not due_for_invitation(app, now=app.closed_at + day - timedelta(seconds=1), after=day)
    later = app.closed_at + 2 * day
    for changed in (
        {"closed_at": None},  # not finished
        {"invited_at": later},  # invited once already
        {"rating": Rating(rating_id="r", level=RatingLevel.SATISFIED, rated_at=later)},
    ):
        assert not due_for_invitation(app.model_copy(update=changed), now=later, after=day)


async def test_a_bundle_in_progress_or_rated_is_not_invited() -> None:
    w = Wiring(rating_invite_after_days=1)
    running = (await apply(w, opening_a_business(), key="bundle-key-running")).json()
    ids = {i["item_code"]: i["case_id"] for i in running["items"]}
    await decide(w, ids[LICENCE], LICENCE, "approved", ref="EL-BL-500000-0001")
    rated = await finished(w, licence="denied")  # not completed, rated before the sweep
    code = {"X-Verification-Code": rated["verification_code"]}
    assert (await rate(w, rated, {"level": "satisfied"}, **code)).status_code == 201
    w.clock.advance(timedelta(days=2))
    assert await invite_unrated(w.deps) == 0
    assert w.store.events_of(RatingInvited.event_type) == []


async def test_a_settled_bundle_is_rated_while_its_clock_closing_is_on_its_way() -> None:
    """The rule the tracking view shows (every item decided or cancelled), not the bookkeeping
    of the bundle clock's closing, decides when the bundle may be rated."""
    w = Wiring()
    body = await finished(w)
    app = w.bundles.applications[body["bundle_id"]]
    w.bundles.applications[app.bundle_id] = app.model_copy(
        update={"closed_at": None, "outcome": None}
    )
    code = {"X-Verification-Code": body["verification_code"]}
    assert (await rate(w, body, {"level": "satisfied"}, **code)).status_code == 201


async def test_a_rating_racing_the_bundles_closing_keeps_the_closing() -> None:
    """The rating may be given while the closing is on its way (above): read before the
    closing, written after it, the rating must not undo the closing (nor the invitation)."""
    w = Wiring()
    body = await finished(w)
    closed = w.bundles.applications[body["bundle_id"]]
    assert closed.closed_at is not None and closed.outcome == "completed"
    stale = closed.model_copy(update={"closed_at": None, "outcome": None})

    async def read_before_the_closing(bundle_id: str) -> Any:
        return stale

    w.bundles.get_application = read_before_the_closing  # type: ignore[method-assign]
    code = {"X-Verification-Code": body["verification_code"]}
    r = await rate(w, body, {"level": "dissatisfied"}, **code)
    assert r.status_code == 201, r.text
    stored = w.bundles.applications[body["bundle_id"]]
    assert stored.rating is not None and stored.rectification is not None
    assert (stored.closed_at, stored.outcome) == (closed.closed_at, "completed")


async def test_a_provisional_bundle_rectification_is_recounted_when_the_year_is_published() -> None:
    w = Wiring()
    w.clock.set(DEC_28)
    body = await finished(w)
    code = {"X-Verification-Code": body["verification_code"]}
    r = await rate(w, body, {"level": "very_dissatisfied"}, **code)
    rect = r.json()["rectification"]
    # Dec 29, 30, 31, (Jan 1 statutory holiday), Jan 4, 5 -> Jan 5, provisional
    assert rect["due_at"].startswith("2027-01-05T23:59:59") and rect["due_provisional"]
    assert await recompute_rectification_deadlines(w.deps) == 0  # same calendar
    w.deps.calendar.publish(FIXTURE_2027)  # Jan 4 a holiday after all
    assert await recompute_rectification_deadlines(w.deps) == 1
    [changed] = w.store.events_of(DeadlineChanged.event_type)
    assert changed.data["case_id"] == body["bundle_id"]
    assert changed.data["rectification_id"] == rect["rectification_id"]
    assert changed.data["department"] == "500000-SCJ" and changed.data["kind"] == "rectification"
    assert changed.data["new_due_at"].startswith("2027-01-06T23:59:59")
    assert changed.data["due_provisional"] is False
    stored = w.bundles.applications[body["bundle_id"]].rectification
    assert stored is not None and stored.due_at.isoformat() == changed.data["new_due_at"]
    assert await recompute_rectification_deadlines(w.deps) == 0  # once
