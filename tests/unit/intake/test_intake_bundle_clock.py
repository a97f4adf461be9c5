"""The bundle clock (一件事承诺时限) follows its items' stops (domain/bundle_clock.py): it stops
when one item's clock stops, runs again when none is stopped any more, its due instant pushed
out by exactly the stopped working time; a redelivered event publishes nothing new."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from services.intake.handlers import bind
from shared.clock import SHANGHAI
from shared.contracts import (
    EventData,
    StageClosed,
    StageOpened,
    StageResumed,
    StageSuspended,
    make_envelope,
)
from tests.support.events import from_example, stage_opened
from tests.support.tokens import applicant_token
from tests.unit.intake.intake_fakes import T0, Wiring
from tests.unit.intake.test_intake_bundles import (
    LICENCE,
    SEAL,
    TAX,
    apply,
    decide,
    opening_a_business,
)
from tests.unit.intake.test_intake_submission import PERSON


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


async def deliver(w: Wiring, data: EventData, event_id: str) -> None:
    envelope = make_envelope(data, source="/egov/approval", time=w.clock.now(), id=event_id)
    await bind(w.deps)[data.event_type](envelope, data)


async def item_clock(w: Wiring, case_id: str, stage: str = "case_promised") -> None:
    await deliver(
        w, stage_opened(case_id, stage=stage, opened_at=w.clock.now()), f"o-{case_id}-{stage}"
    )


async def stop(w: Wiring, case_id: str, n: int, stage: str = "case_promised", **kw: Any) -> None:
    data = from_example(
        StageSuspended,
        case_id=case_id,
        stage_id=f"{case_id}:{stage}",
        reason=kw.get("reason", "hearing"),
        suspended_at=w.clock.now(),
    )
    await deliver(w, data, f"s-{case_id}-{stage}-{n}")


async def run(w: Wiring, case_id: str, n: int, stage: str = "case_promised") -> None:
    data = from_example(
        StageResumed,
        case_id=case_id,
        stage_id=f"{case_id}:{stage}",
        resumed_at=w.clock.now(),
        due_at=w.clock.now() + timedelta(days=5),
    )
    await deliver(w, data, f"r-{case_id}-{stage}-{n}")


def bundle_events(w: Wiring, model: type[Any], bundle_id: str) -> list[Any]:
    found = [model.model_validate(e.data) for e in w.store.events_of(model.event_type)]
    return [d for d in found if d.case_id == bundle_id]


async def started(w: Wiring, key: str = "bundle-key-1") -> tuple[str, dict[str, str]]:
    body = (await apply(w, opening_a_business(), key)).json()
    return body["bundle_id"], {i["item_code"]: i["case_id"] for i in body["items"]}


async def view(w: Wiring, bundle_id: str) -> dict[str, Any]:
    """The applicant's view, with the token of the applicant who submitted it."""
    token = applicant_token(w.settings, id_number=PERSON, name="张三")
    async with w.client() as c:
        r = await c.get(f"/v1/bundles/{bundle_id}", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    return dict(r.json())


async def test_an_item_in_a_special_procedure_stops_the_bundle_clock_for_exactly_that_time() -> (
    None
):
    w = Wiring()
    bundle_id, ids = await started(w)
    [opened] = bundle_events(w, StageOpened, bundle_id)
    assert opened.due_at == local("2026-03-04T23:59:59")  # two working days from Monday
    w.clock.advance(timedelta(hours=1))
    await item_clock(w, ids[LICENCE])
    w.clock.advance(timedelta(hours=1))  # Monday 11:30
    await stop(w, ids[LICENCE], 1)
    [suspended] = bundle_events(w, StageSuspended, bundle_id)
    assert suspended.stage_id == opened.stage_id and suspended.reason == "hearing"
    assert suspended.suspended_at == T0 + timedelta(hours=2)
    await stop(w, ids[LICENCE], 1)  # redelivered: nothing new
    assert len(bundle_events(w, StageSuspended, bundle_id)) == 1
    assert (await view(w, bundle_id))["clock_stopped"] is True
    w.clock.advance(timedelta(days=1))  # Tuesday 11:30: one working day stopped
    await run(w, ids[LICENCE], 1)
    [resumed] = bundle_events(w, StageResumed, bundle_id)
    assert resumed.stage_id == opened.stage_id
    assert resumed.due_at == local("2026-03-05T23:59:59")  # one working day later
    assert resumed.clock_resumed_at == T0 + timedelta(days=1, hours=2)
    app = w.bundles.applications[bundle_id]
    assert app.due_at == resumed.due_at and app.clock_stops[0].ended_at is not None
    await run(w, ids[LICENCE], 1)  # redelivered
    assert len(bundle_events(w, StageResumed, bundle_id)) == 1
    # the applicant's view shows the pushed-out deadline, the clock running
    seen = await view(w, bundle_id)
    assert seen["deadline"] == resumed.due_at.isoformat() and seen["clock_stopped"] is False


async def test_the_bundle_clock_runs_again_only_when_no_item_is_stopped() -> None:
    w = Wiring()
    bundle_id, ids = await started(w)
    await decide(w, ids[LICENCE], LICENCE, "approved", ref="EL-BL-500000-0001")
    for code in (SEAL, TAX):
        await item_clock(w, ids[code])
    w.clock.advance(timedelta(hours=1))
    await stop(w, ids[TAX], 1)
    w.clock.advance(timedelta(hours=1))
    await stop(w, ids[SEAL], 1, reason="onsite_survey")  # already stopped: once
    assert len(bundle_events(w, StageSuspended, bundle_id)) == 1
    w.clock.advance(timedelta(hours=1))
    await run(w, ids[TAX], 1)  # the seal still waits: the bundle clock stays stopped
    assert bundle_events(w, StageResumed, bundle_id) == []
    w.clock.advance(timedelta(hours=1))
    await run(w, ids[SEAL], 1)
    [resumed] = bundle_events(w, StageResumed, bundle_id)
    assert resumed.clock_resumed_at == w.clock.now()
    # a second stop is a stop of its own, with an id of its own
    await stop(w, ids[TAX], 2)
    assert len(bundle_events(w, StageSuspended, bundle_id)) == 2


async def test_a_supplement_before_acceptance_stops_it_and_the_items_end_runs_it_again() -> None:
    w = Wiring()
    bundle_id, ids = await started(w)
    await item_clock(w, ids[LICENCE], stage="prereview")
    w.clock.advance(timedelta(hours=1))
    await stop(w, ids[LICENCE], 1, stage="prereview", reason="supplement")
    [suspended] = bundle_events(w, StageSuspended, bundle_id)
    assert suspended.reason == "supplement"
    w.clock.advance(timedelta(hours=1))
    await decide(w, ids[LICENCE], LICENCE, "lapsed")  # never supplied: the item ends
    [resumed] = bundle_events(w, StageResumed, bundle_id)
    assert resumed.clock_resumed_at == w.clock.now()
    # resumed before the bundle (not completed) closes its clock
    kinds = [e.type for e in w.store.events if e.subject == bundle_id]
    assert kinds[-2:] == [StageResumed.event_type, StageClosed.event_type]


async def test_a_lone_case_and_other_stages_of_an_accepted_item_leave_the_bundle_clock_alone() -> (
    None
):
    w = Wiring()
    bundle_id, ids = await started(w)
    await item_clock(w, ids[LICENCE])
    await item_clock(w, ids[LICENCE], stage="review")
    await stop(w, ids[LICENCE], 1, stage="review")  # the case clock runs on: approval's rule
    await stop(w, "500000-20260302-000099", 1)  # a case of no bundle
    assert bundle_events(w, StageSuspended, bundle_id) == []
