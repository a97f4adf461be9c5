"""Accept-with-gaps (容缺受理), the hold and the supply (services/approval/domain/owed.py), through
approval's real handlers on fakes and on the domain: the owed-material stage is the applicant's
(assigned to them, watched at handler level); an officer held by it is told every owed material,
the due date as the applicant reads it in Shanghai and what cannot happen (approved, or
delivered), and a lapse states the deadline as the Shanghai date too; a supply moves the case's
version on by one and leaves the case it was given alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.approval.domain import Action, ActionNotAllowed
from services.approval.domain.owed import lapse_owed, supply_owed
from services.approval.handlers import Deps
from shared.contracts import CaseSubmitted, Material, MaterialForm, OwedMaterialsSupplied
from tests.unit.approval.approval_fakes import MONDAY_10, make_deps
from tests.unit.approval.test_approval_owed import CAL, PREMISES, submit, submitted, to_decide
from tests.unit.approval.test_approval_owed_rules import LEASE
from tests.unit.approval.test_approval_workflow import APPROVER, HANDLER, do

STAGE = "C1:owed_materials"
# 16:30 UTC on 16 March is already 17 March in Shanghai
DUE = datetime(2026, 3, 16, 16, 30, tzinfo=UTC)


def owing_two(**rule: object) -> CaseSubmitted:
    data = submitted(**rule)
    assert data.owed is not None
    owed = data.owed.model_copy(update={"materials": [PREMISES, LEASE], "due_at": DUE})
    return data.model_copy(update={"owed": owed})


async def held_at(deps: Deps, stage: str, action: Action) -> str:
    with pytest.raises(ActionNotAllowed) as held:
        await do(deps, "C1", stage, action, APPROVER if stage == "decide" else HANDLER)
    return str(held.value)


async def test_the_owed_stage_is_the_applicants_watched_at_handler_level() -> None:
    deps = make_deps()
    await submit(deps, submitted())
    case = await deps.store.get("C1")
    assert case is not None
    stage = case.stages[STAGE]
    assert (stage.assignee, stage.required_role) == ("applicant", "handler")


async def test_a_held_approval_names_every_owed_material_and_the_shanghai_due_date() -> None:
    deps = make_deps()
    await submit(deps, owing_two())
    await to_decide(deps)
    assert await held_at(deps, "decide", Action.APPROVE) == (
        "approve is held: the case was accepted with gaps (容缺受理) and still owes "
        "住所（经营场所）使用证明 (premises)、租赁合同 (lease), due by 2026-03-17; "
        "it cannot be approved until the material arrives"
    )


async def test_a_held_delivery_says_it_cannot_be_delivered() -> None:
    deps = make_deps()
    await submit(deps, owing_two(hold="deliver"))
    await to_decide(deps)
    await do(deps, "C1", "decide", Action.APPROVE, APPROVER)
    await do(deps, "C1", "deliver", Action.SIGN_IN, HANDLER)
    message = await held_at(deps, "deliver", Action.DELIVER)
    assert message.endswith("due by 2026-03-17; it cannot be delivered until the material arrives")


async def test_a_supply_moves_the_version_on_and_leaves_the_given_case_alone() -> None:
    deps = make_deps()
    await submit(deps, submitted())
    case = await deps.store.get("C1")
    assert case is not None
    data = OwedMaterialsSupplied(
        case_id="C1",
        materials=[Material(code="premises", form=MaterialForm.UPLOAD, sha256="c" * 64, size=9)],
        supplied_at=MONDAY_10,
    )
    tr = supply_owed(case, data, now=MONDAY_10, calendar=CAL)
    assert tr.case.stages[STAGE].outcome == "completed"
    assert tr.case.version == case.version + 1
    assert case.stages[STAGE].is_active and case.owed_supplied == []  # the input is untouched


async def test_a_lapse_states_its_deadline_as_the_shanghai_date() -> None:
    deps = make_deps()
    await submit(deps, submitted())
    case = await deps.store.get("C1")
    assert case is not None
    case.stages[STAGE].due_at = DUE  # a deadline whose Shanghai date is a day after UTC's
    tr = lapse_owed(case, now=DUE + timedelta(minutes=1), calendar=CAL, pol=deps.policy)
    assert tr is not None
    assert tr.case.stages[STAGE].reason == (
        "容缺受理材料（住所（经营场所）使用证明）未在承诺期限（2026-03-17）内补齐"
    )
