"""A case arriving and waiting for supplements (services/approval/domain/workflow.py) and the
completeness check (checks.py), on the domain and through approval's real handlers on fakes: what
the timeline records of a registration and a check, where a credit review goes in a plan without
an acceptance step, the check's findings at their edges (a licence valid through its expiry day,
counted on the Shanghai date; an e-licence without a reference; a commitment material without the
flag; the black list only for a commitment), a supplement or a lapse that changes the case's
version and leaves the case it was given alone, and the officer's declared time for work done
offline, which may be the stage's opening or now (docs/approval.md, "Work done offline")."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from services.approval.domain import Action, Case, CaseStatus, InvalidAction
from services.approval.domain.checks import completeness_findings
from services.approval.domain.model import MaterialRef
from services.approval.domain.stages import Transition, suspend_stage
from services.approval.domain.workflow import apply_supplement, lapse_supplement_wait
from services.approval.handlers import on_case_supplemented
from shared.calendar import Limit, load_default_calendar
from shared.clock import FixedClock
from shared.contracts import CaseSupplemented, Material, MaterialForm, StageKind
from tests.unit.approval.approval_fakes import (
    DEPT,
    MONDAY_10,
    envelope_of,
    make_deps,
    plan,
)
from tests.unit.approval.test_approval_workflow import HANDLER, do, signed, store, submit

CAL = load_default_calendar()
TODAY = date(2026, 3, 2)


def findings(*materials: MaterialRef, **kw: object) -> list[str]:
    args: dict[str, object] = {
        "materials": materials,
        "required": [],
        "commitment_used": False,
        "commitment_allowed": True,
        "black_listed": False,
        "today": TODAY,
    }
    return completeness_findings(**{**args, **kw})  # type: ignore[arg-type]


def elicence(code: str, ref: str | None) -> MaterialRef:
    return MaterialRef(code=code, form="elicense", licence_ref=ref)


def test_each_e_licence_is_checked_one_without_a_reference_named() -> None:
    upload = MaterialRef(code="form", form="upload")
    assert findings(
        upload, elicence("a", None), elicence("b", None), elicence("c", "EL-1;exp=2026-03-01")
    ) == [
        "材料 a 未提供电子证照编号",
        "材料 b 未提供电子证照编号",
        "电子证照已过期（c，有效期至 2026-03-01）",
    ]


def test_a_licence_is_valid_through_its_expiry_day() -> None:
    assert findings(elicence("a", "EL-1;exp=2026-03-02"), elicence("b", "EL-2")) == []
    assert findings(elicence("a", "EL-1;exp=2026-03-01")) == [
        "电子证照已过期（a，有效期至 2026-03-01）"
    ]


def test_a_commitment_material_counts_as_using_the_commitment_without_the_flag() -> None:
    promise = MaterialRef(code="promise", form="commitment")
    assert findings(promise, commitment_allowed=False) == ["本事项不适用告知承诺制，请提交证明材料"]
    assert findings(promise, black_listed=True) == [
        "申请人被列入失信名单，不适用告知承诺制，请提交证明材料"
    ]


def test_the_black_list_matters_only_to_a_commitment() -> None:
    assert findings(MaterialRef(code="form", form="upload"), black_listed=True) == []


async def test_the_check_counts_expiry_on_the_shanghai_date() -> None:
    # 2026-03-01 16:30 UTC is already 2 March in Shanghai: a licence that ran to 1 March expired
    late = datetime(2026, 3, 1, 16, 30, tzinfo=MONDAY_10.tzinfo)
    deps = make_deps(FixedClock(late))
    ref = "EL-500000-SCJ-009-X;exp=2026-03-01"
    case = await submit(
        deps,
        materials=[Material(code="old", form=MaterialForm.ELICENSE, licence_ref=ref)],
        required=["old"],
        at=late,
    )
    assert case.findings == ["电子证照已过期（old，有效期至 2026-03-01）"]


async def test_registration_and_the_check_are_recorded_by_the_system() -> None:
    deps = make_deps()
    case = await submit(deps, required=["licence_form", "id_card"])
    registered, checked = store(deps).entries["C1"][:2]
    assert (registered["action"], registered["actor"]) == ("case_registered", "system")
    assert registered["detail"] == {"item_code": "500000-SCJ-001", "channel": "web"}
    assert (checked["action"], checked["actor"]) == ("completeness_checked", "system")
    assert checked["detail"] == {"findings": ["缺少必要材料：id_card"]}
    assert case.stages["C1:prereview"].name == "预审"


async def test_without_an_acceptance_step_the_credit_review_comes_first() -> None:
    deps = make_deps()
    steps = plan((StageKind.REVIEW, [DEPT], "reviewer"), (StageKind.DECIDE, [DEPT], "approver"))
    case = await submit(deps, stage_plan=steps, extra_review=True)
    assert [s.name for s in case.plan] == ["信用加强审查", "review", "decide"]


async def waiting_case() -> Case:
    deps = make_deps()
    await submit(deps)
    case = await signed(
        deps, "C1", "prereview", Action.REQUEST_SUPPLEMENTS, HANDLER, materials=["licence_form"]
    )
    return case


async def test_a_supplement_moves_the_version_on_and_leaves_the_given_case_alone() -> None:
    case = await waiting_case()
    data = CaseSupplemented(case_id="C1", materials=[], supplemented_at=MONDAY_10)
    tr = apply_supplement(case, data, now=MONDAY_10 + timedelta(hours=2), calendar=CAL)
    assert tr.case.status == CaseStatus.PREREVIEW
    assert tr.case.version == case.version + 1
    assert case.stages["C1:prereview"].current_suspension is not None  # the input is untouched


async def test_a_supplement_for_a_case_no_longer_waiting_changes_nothing() -> None:
    deps = make_deps()
    await submit(deps)
    await signed(deps, "C1", "prereview", Action.PASS, HANDLER)
    before = len(store(deps).outbox)
    data = CaseSupplemented(case_id="C1", materials=[], supplemented_at=MONDAY_10)
    await on_case_supplemented(deps, envelope_of(data), data)
    assert len(store(deps).outbox) == before


async def test_a_lapse_moves_the_version_on_and_leaves_the_given_case_alone() -> None:
    case = await waiting_case()
    ends_by = case.stages["C1:prereview"].suspensions[-1].ends_by
    assert ends_by is not None
    tr = lapse_supplement_wait(case, now=ends_by, calendar=CAL)
    assert tr is not None and tr.case.status == CaseStatus.LAPSED
    assert tr.case.version == case.version + 1
    assert case.stages["C1:prereview"].is_active


async def test_only_a_supplement_wait_lapses() -> None:
    deps = make_deps()
    case = await submit(deps)
    assert lapse_supplement_wait(case, now=MONDAY_10 + timedelta(days=400), calendar=CAL) is None
    tr = Transition(case=case, now=MONDAY_10, calendar=CAL)
    stage = case.stages["C1:prereview"]
    suspend_stage(tr, stage, "testing", actor="h-1", note=None, max_length=Limit(value=1))
    assert lapse_supplement_wait(case, now=MONDAY_10 + timedelta(days=400), calendar=CAL) is None


async def test_work_done_offline_may_be_declared_at_the_opening_or_now_never_later() -> None:
    clock = FixedClock(MONDAY_10)
    deps = make_deps(clock)
    await submit(deps)
    clock.advance(timedelta(hours=1))
    with pytest.raises(InvalidAction) as refused:
        await do(
            deps,
            "C1",
            "prereview",
            Action.SIGN_IN,
            HANDLER,
            performed_at=clock.now() + timedelta(seconds=1),
        )
    assert (refused.value.field, refused.value.message) == ("performed_at", "lies in the future")
    case = await do(deps, "C1", "prereview", Action.SIGN_IN, HANDLER, performed_at=MONDAY_10)
    assert case.stages["C1:prereview"].signed_in_at == MONDAY_10  # the stage's opening
    case = await do(deps, "C1", "prereview", Action.PASS, HANDLER, performed_at=clock.now())
    assert case.stages["C1:prereview"].closed_at == clock.now()
