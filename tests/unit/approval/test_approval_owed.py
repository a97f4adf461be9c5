"""Accept-with-gaps (容缺受理) through approval's real handlers on an in-memory store: the
owed-material deadline supervised as a stage, the hold on approval or delivery, the material's
arrival, and the lapse with its decision and credit incident."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from services.approval.bootstrap import create_api
from services.approval.domain import Action, ActionNotAllowed, CaseStatus
from services.approval.domain.owed import lapse_owed
from services.approval.handlers import (
    Deps,
    lapse_owed_materials,
    lapse_waits,
    on_case_submitted,
    on_owed_supplied,
)
from shared.calendar import Limit, load_default_calendar
from shared.clock import FixedClock
from shared.contracts import (
    CaseSubmitted,
    Material,
    MaterialForm,
    OwedMaterial,
    OwedMaterials,
    OwedMaterialsSupplied,
)
from tests.support.tokens import officer_headers
from tests.unit.approval.approval_fakes import DEPT, MONDAY_10, REGION, envelope_of, make_deps
from tests.unit.approval.approval_fakes import submitted as plain_submitted
from tests.unit.approval.test_approval_workflow import (
    APPROVER,
    HANDLER,
    REVIEWER,
    do,
    signed,
    store,
)

CAL = load_default_calendar()
PREMISES = OwedMaterial(code="premises", name="住所（经营场所）使用证明")
# Thursday 2026-04-30 10:00 in Shanghai, before the Labour Day holiday (May 1-5).
BEFORE_MAY_DAY = datetime(2026, 4, 30, 2, 0, tzinfo=UTC)


def owed(at: datetime = MONDAY_10, **rule: Any) -> OwedMaterials:
    limit = Limit(value=rule.pop("days", 10))
    due = CAL.deadline(at, limit)
    return OwedMaterials(materials=[PREMISES], limit=limit, accepted_at=at, due_at=due, **rule)


def submitted(case_id: str = "C1", at: datetime = MONDAY_10, **rule: Any) -> CaseSubmitted:
    data = plain_submitted(case_id, at=at, required=["licence_form", "premises"])
    return data.model_copy(update={"owed": owed(at, **rule)})


async def submit(deps: Deps, data: CaseSubmitted) -> None:
    await on_case_submitted(deps, envelope_of(data), data)


async def to_decide(deps: Deps) -> None:
    await signed(deps, "C1", "prereview", Action.PASS, HANDLER)
    await signed(deps, "C1", "accept", Action.ACCEPT, HANDLER)
    await signed(deps, "C1", "review", Action.PASS, REVIEWER)
    await do(deps, "C1", "decide", Action.SIGN_IN, APPROVER)


async def supply(deps: Deps, at: datetime = MONDAY_10) -> None:
    data = OwedMaterialsSupplied(
        case_id="C1",
        materials=[Material(code="premises", form=MaterialForm.UPLOAD, sha256="c" * 64, size=9)],
        supplied_at=at,
    )
    await on_owed_supplied(deps, envelope_of(data), data)


async def test_the_deadline_is_a_supervised_stage_counted_from_acceptance() -> None:
    clock = FixedClock(BEFORE_MAY_DAY + timedelta(seconds=5))  # approval hears it a bit later
    deps = make_deps(clock)
    await submit(deps, submitted(at=BEFORE_MAY_DAY))
    case = await deps.store.get("C1")
    assert case is not None
    stage = case.stages["C1:owed_materials"]
    # 10 working days across May 1-5 and the worked Saturday May 9: Monday May 18.
    assert stage.due_at.isoformat() == "2026-05-18T23:59:59+08:00"
    assert (stage.opened_at, stage.assignee) == (BEFORE_MAY_DAY, "applicant")
    [opened] = [e for e in store(deps).events("stage.opened") if e.data["stage"] != "prereview"]
    assert opened.data["stage"] == "owed_materials"
    assert opened.data["due_at"] == "2026-05-18T23:59:59+08:00"
    assert opened.data["assignee"] == "applicant"  # the monitor expects no officer's sign-in
    # what is owed is not a missing material: pre-review does not list it as a failure
    assert case.findings == []
    plain = plain_submitted("C2", required=["licence_form", "premises"])
    await submit(deps, plain)
    without = await deps.store.get("C2")
    assert without is not None and without.findings != []


async def test_approval_is_held_naming_the_owed_material_until_it_arrives() -> None:
    deps = make_deps()
    await submit(deps, submitted())
    await to_decide(deps)
    case = await deps.store.get("C1")
    assert case is not None
    decide = case.stages["C1:decide"]
    from services.approval.domain import allowed_actions

    assert allowed_actions(case, decide) == ["deny", "suspend"]
    with pytest.raises(ActionNotAllowed) as held:
        await do(deps, "C1", "decide", Action.APPROVE, APPROVER)
    assert "住所（经营场所）使用证明 (premises)" in str(held.value)
    assert "due by 2026-03-16" in str(held.value)
    assert held.value.allowed == ["deny", "suspend"]
    await supply(deps)
    case = await deps.store.get("C1")
    assert case is not None and case.owed_supplied == ["premises"]
    assert case.stages["C1:owed_materials"].outcome == "completed"
    assert "premises" in {m.code for m in case.materials}
    case = await do(deps, "C1", "decide", Action.APPROVE, APPROVER)
    assert case.decision == "approved"


async def test_a_deliver_hold_lets_the_decision_through_but_not_the_delivery() -> None:
    deps = make_deps()
    await submit(deps, submitted(hold="deliver"))
    await to_decide(deps)
    case = await do(deps, "C1", "decide", Action.APPROVE, APPROVER)
    assert case.decision == "approved"
    await do(deps, "C1", "deliver", Action.SIGN_IN, HANDLER)
    with pytest.raises(ActionNotAllowed) as held:
        await do(deps, "C1", "deliver", Action.DELIVER, HANDLER)
    assert "cannot be delivered" in str(held.value) and "premises" in str(held.value)
    await supply(deps)
    case = await do(deps, "C1", "deliver", Action.DELIVER, HANDLER)
    assert case.status == CaseStatus.COMPLETED


async def test_the_http_answer_is_409_naming_the_owed_material() -> None:
    deps = make_deps()
    await submit(deps, submitted())
    await to_decide(deps)
    case = await deps.store.get("C1")
    assert case is not None
    headers = officer_headers(
        deps.settings, subject="a-1", roles=["approver"], department=DEPT, region=REGION
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(create_api(deps)), base_url="http://approval"
    ) as c:
        r = await c.post(
            "/v1/cases/C1/stages/decide/approve", json={"version": case.version}, headers=headers
        )
    assert r.status_code == 409, r.text
    assert "premises" in r.json()["detail"] and r.json()["allowed_actions"] == ["deny", "suspend"]


async def test_the_deadline_passing_ends_the_case_as_the_item_says() -> None:
    clock = FixedClock(MONDAY_10)
    deps = make_deps(clock)
    await submit(deps, submitted(on_lapse="refused"))
    due = CAL.deadline(MONDAY_10, Limit(value=10))
    clock.set(due)
    assert await lapse_owed_materials(deps) == 0  # not past yet
    waiting = await deps.store.get("C1")
    assert waiting is not None  # nor does the rule itself lapse it at the last instant
    assert lapse_owed(waiting, now=due, calendar=deps.calendar, pol=deps.policy) is None
    clock.set(due + timedelta(seconds=1))
    assert await lapse_waits(deps) == 1
    case = await deps.store.get("C1")
    assert case is not None and case.status == CaseStatus.REFUSED
    reason = "容缺受理材料（住所（经营场所）使用证明）未在承诺期限（2026-03-16）内补齐"
    [decided] = store(deps).events("case.decided")
    assert (decided.data["decision"], decided.data["reasons"]) == ("refused", [reason])
    stage = case.stages["C1:owed_materials"]
    assert (stage.outcome, stage.reason) == ("failed", reason)
    assert not store(deps).events("credit.incident")  # the item provides none
    assert await lapse_waits(deps) == 0
    await supply(deps, due + timedelta(days=1))  # too late: nothing changes
    after = await deps.store.get("C1")
    assert after is not None and after.version == case.version and after.owed_supplied == []


async def test_a_lapse_files_a_credit_incident_where_the_item_provides_one() -> None:
    clock = FixedClock(MONDAY_10)
    deps = make_deps(clock)
    await submit(deps, submitted(credit_incident=True))
    clock.set(CAL.deadline(MONDAY_10, Limit(value=10)) + timedelta(minutes=1))
    assert await lapse_owed_materials(deps) == 1
    case = await deps.store.get("C1")
    assert case is not None and case.status == CaseStatus.LAPSED
    [incident] = store(deps).events("credit.incident")
    assert incident.data["subject_id"] == "91500000MA5U000000"
    assert incident.data["subject_kind"] == "entity"
    assert incident.data["incident_type"] == "accept_with_gaps_unfulfilled"
    assert incident.data["severity"] == "general"
    assert (incident.data["case_id"], incident.data["stage_id"]) == ("C1", "C1:owed_materials")
    assert incident.data["evidence"] == ["C1"]


async def test_an_approved_but_undelivered_case_is_revoked_when_the_material_never_comes() -> None:
    clock = FixedClock(MONDAY_10)
    deps = make_deps(clock)
    await submit(deps, submitted(hold="deliver"))
    await to_decide(deps)
    await do(deps, "C1", "decide", Action.APPROVE, APPROVER)
    clock.set(CAL.deadline(MONDAY_10, Limit(value=10)) + timedelta(minutes=1))
    assert await lapse_owed_materials(deps) == 1
    case = await deps.store.get("C1")
    assert case is not None and case.status == CaseStatus.REVOKED
    assert [e.data["decision"] for e in store(deps).events("case.decided")] == [
        "approved",
        "revoked",
    ]
    assert all(not s.is_active for s in case.stages.values())


async def test_supplying_part_keeps_the_hold_and_the_stage_open() -> None:
    deps = make_deps()
    data = submitted()
    assert data.owed is not None
    two = data.owed.model_copy(
        update={"materials": [PREMISES, OwedMaterial(code="lease", name="租赁合同")]}
    )
    await submit(deps, data.model_copy(update={"owed": two}))
    await supply(deps)
    case = await deps.store.get("C1")
    assert case is not None and case.owed_codes == ["lease"]
    assert case.stages["C1:owed_materials"].is_active
    await to_decide(deps)
    with pytest.raises(ActionNotAllowed) as held:
        await do(deps, "C1", "decide", Action.APPROVE, APPROVER)
    assert "租赁合同 (lease)" in str(held.value) and "premises" not in str(held.value)


async def test_a_supplement_that_brings_the_owed_material_settles_it() -> None:
    from services.approval.handlers import on_case_supplemented
    from shared.contracts import CaseSupplemented

    deps = make_deps()
    await submit(deps, submitted())
    await do(deps, "C1", "prereview", Action.SIGN_IN, HANDLER)
    await do(deps, "C1", "prereview", Action.REQUEST_SUPPLEMENTS, HANDLER, materials=["premises"])
    data = CaseSupplemented(
        case_id="C1",
        materials=[Material(code="premises", form=MaterialForm.UPLOAD, sha256="e" * 64, size=9)],
        supplemented_at=MONDAY_10,
    )
    await on_case_supplemented(deps, envelope_of(data), data)
    case = await deps.store.get("C1")
    assert case is not None and case.owed_codes == []
    assert case.stages["C1:owed_materials"].outcome == "completed"


async def test_only_the_guarded_step_is_held_not_a_parallel_reviews_approvals() -> None:
    from services.approval.domain import allowed_actions
    from shared.contracts import ParallelMode, StageKind
    from tests.unit.approval.approval_fakes import plan

    deps = make_deps()
    steps = plan(
        (StageKind.REVIEW, [DEPT, "500000-ZJW"], "reviewer", ParallelMode.ALL),
        (StageKind.DECIDE, [DEPT], "approver"),
    )
    await submit(deps, submitted().model_copy(update={"stage_plan": steps}))
    await signed(deps, "C1", "prereview", Action.PASS, HANDLER)
    case = await deps.store.get("C1")
    assert case is not None
    sub = case.stages["C1:review:500000-SCJ"]
    await do(deps, "C1", sub.stage_id, Action.SIGN_IN, REVIEWER)
    case = await deps.store.get("C1")
    assert case is not None
    assert "approve" in allowed_actions(case, case.stages[sub.stage_id])


async def test_a_plan_without_the_guarded_step_holds_the_action_finishing_its_last_step() -> None:
    from shared.contracts import StageKind
    from tests.unit.approval.approval_fakes import plan

    deps = make_deps()
    steps = plan((StageKind.ACCEPT, [DEPT], "handler"), (StageKind.REVIEW, [DEPT], "reviewer"))
    await submit(deps, submitted().model_copy(update={"stage_plan": steps}))
    await signed(deps, "C1", "prereview", Action.PASS, HANDLER)
    await signed(deps, "C1", "accept", Action.ACCEPT, HANDLER)  # not the last step: not held
    await do(deps, "C1", "review", Action.SIGN_IN, REVIEWER)
    with pytest.raises(ActionNotAllowed) as held:
        await do(deps, "C1", "review", Action.PASS, REVIEWER)
    assert "premises" in str(held.value)
    await supply(deps)
    case = await do(deps, "C1", "review", Action.PASS, REVIEWER)
    assert case.decision == "approved"
