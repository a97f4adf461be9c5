"""Accept-with-gaps (容缺受理) on the domain itself: owed material arriving (recorded as the
applicant's, the stage closed with its reason once nothing is owed, nothing recorded when the
stage is no longer open or nothing owed came) and the deadline lapsing (what the reason names,
the credit incident, the case's version, and the cases a lapse leaves alone). The cases come
from approval's real handlers on fakes."""

from __future__ import annotations

from datetime import timedelta

from services.approval.domain import Case, CaseStatus
from services.approval.domain.audit import AuditRecord
from services.approval.domain.model import StageState
from services.approval.domain.owed import lapse_owed, owed_arrived
from services.approval.domain.stages import Transition
from shared.calendar import Limit
from shared.contracts import CreditIncident, OwedMaterial
from tests.unit.approval.approval_fakes import MONDAY_10, make_deps
from tests.unit.approval.test_approval_owed import CAL, PREMISES, submit, submitted

STAGE = "C1:owed_materials"
LEASE = OwedMaterial(code="lease", name="租赁合同")
DUE = CAL.deadline(MONDAY_10, Limit(value=10))
AFTER = DUE + timedelta(minutes=1)


async def owing(*materials: OwedMaterial, **rule: object) -> Case:
    deps = make_deps()
    data = submitted(**rule)
    assert data.owed is not None
    if materials:
        data = data.model_copy(
            update={"owed": data.owed.model_copy(update={"materials": list(materials)})}
        )
    await submit(deps, data)
    case = await deps.store.get("C1")
    assert case is not None and case.stages[STAGE].is_active
    return case


def tr_of(case: Case) -> Transition:
    return Transition(case=case.model_copy(deep=True), now=MONDAY_10, calendar=CAL)


async def test_the_last_owed_material_closes_the_stage_as_completed_with_its_reason() -> None:
    tr = tr_of(await owing())
    assert owed_arrived(tr, ["licence_form", "premises"]) is True
    assert tr.case.owed_supplied == ["premises"]  # only what was owed
    assert tr.audit[0] == AuditRecord(
        action="owed_supplied",
        actor="applicant",
        stage_id=STAGE,
        detail={"materials": ["premises"]},
    )
    stage = tr.case.stages[STAGE]
    assert (stage.state, stage.outcome, stage.reason) == (
        StageState.CLOSED,
        "completed",
        "容缺材料已补齐",
    )


async def test_part_of_what_is_owed_keeps_the_stage_open() -> None:
    tr = tr_of(await owing(PREMISES, LEASE))
    assert owed_arrived(tr, ["lease"]) is True
    assert [a.action for a in tr.audit] == ["owed_supplied"]
    assert tr.case.stages[STAGE].is_active and tr.case.owed_codes == ["premises"]


async def test_nothing_owed_among_the_codes_records_nothing() -> None:
    tr = tr_of(await owing())
    assert owed_arrived(tr, ["licence_form"]) is False
    assert tr.audit == [] and tr.case.owed_supplied == []


async def test_owed_material_after_the_stage_closed_records_nothing() -> None:
    lapsed = lapse_owed(await owing(), now=AFTER, calendar=CAL, pol=make_deps().policy)
    assert lapsed is not None and not lapsed.case.stages[STAGE].is_active
    tr = tr_of(lapsed.case)
    assert owed_arrived(tr, ["premises"]) is False
    assert tr.audit == [] and tr.case.owed_supplied == []


async def test_a_lapse_names_every_owed_material_and_files_the_incident_as_the_system() -> None:
    case = await owing(PREMISES, LEASE, credit_incident=True)
    tr = lapse_owed(case, now=AFTER, calendar=CAL, pol=make_deps().policy)
    assert tr is not None
    reason = "容缺受理材料（住所（经营场所）使用证明、租赁合同）未在承诺期限（2026-03-16）内补齐"
    assert tr.case.stages[STAGE].reason == reason
    [incident] = [e.data for e in tr.events if isinstance(e.data, CreditIncident)]
    assert incident.description == reason
    assert [(a.actor, a.stage_id) for a in tr.audit if a.action == "credit_incident"] == [
        ("system", STAGE)
    ]
    assert tr.case.version == case.version + 1
    assert case.stages[STAGE].is_active and case.status != CaseStatus.LAPSED  # input unchanged


async def test_a_lapse_leaves_alone_an_ended_case_a_closed_stage_or_no_owed_rule() -> None:
    case = await owing()
    pol = make_deps().policy
    assert lapse_owed(case, now=AFTER, calendar=CAL, pol=pol) is not None  # the control
    ended = case.model_copy(update={"status": CaseStatus.DENIED})
    assert lapse_owed(ended, now=AFTER, calendar=CAL, pol=pol) is None
    stage = case.stages[STAGE].model_copy(update={"state": StageState.CLOSED})
    closed = case.model_copy(update={"stages": {**case.stages, STAGE: stage}})
    assert lapse_owed(closed, now=AFTER, calendar=CAL, pol=pol) is None
    no_rule = case.model_copy(update={"owed": None})
    assert lapse_owed(no_rule, now=AFTER, calendar=CAL, pol=pol) is None
