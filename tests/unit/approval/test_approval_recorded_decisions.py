"""What a verification and a supplement request leave behind, field by field: the closed stage
(who, why), the credit incident a false commitment files with the credit service, the audit
entries, the decision's legal basis, the supplement wait's note and the refusals' fields. The
mutation run (docs/mutation/services-approval-domain.md) found these set but never read."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from services.approval.domain import Action, CaseStatus, InvalidAction
from shared.contracts import ApplicantKind, derived_event_id
from tests.unit.approval.approval_fakes import MONDAY_10, REGION, make_deps
from tests.unit.approval.test_approval_workflow import (
    APPROVER,
    HANDLER,
    REVIEWER,
    do,
    signed,
    store,
    submit,
)


def audit(deps: Any, action: str) -> list[dict[str, Any]]:
    return [e for e in store(deps).entries["C1"] if e["action"] == action]


async def approved_with_commitment(deps: Any, **kw: object) -> None:
    await submit(deps, commitment_used=True, commitment_allowed=True, **kw)
    await signed(deps, "C1", "prereview", Action.PASS, HANDLER)
    await signed(deps, "C1", "accept", Action.ACCEPT, HANDLER)
    await signed(deps, "C1", "review", Action.PASS, REVIEWER)
    await signed(deps, "C1", "decide", Action.APPROVE, APPROVER)


async def test_a_false_commitment_files_the_incident_with_everything_the_credit_service_needs() -> (
    None
):
    deps = make_deps()
    await approved_with_commitment(deps, kind=ApplicantKind.PERSON)
    case = await signed(
        deps,
        "C1",
        "verification",
        Action.VERIFY,
        HANDLER,
        commitment_true=False,
        reasons=["场地与承诺不符", "无冷链设备"],
        legal_basis="《行政许可法》第六十九条",
    )
    assert case.status == CaseStatus.REVOKED
    stage = case.stages["C1:verification"]
    assert (stage.outcome, stage.closed_by, stage.reason) == (
        "failed",
        "h-1",
        "场地与承诺不符; 无冷链设备",
    )
    [incident] = store(deps).events("credit.incident")
    assert incident.id == derived_event_id("C1", "credit_incident", "false_commitment")
    data = incident.data
    assert (data["subject_id"], data["subject_kind"], data["subject_name"]) == (
        "11010519491231002X",
        "person",
        "重庆某某食品有限公司",
    )
    assert (data["description"], data["case_id"], data["stage_id"], data["region"]) == (
        "场地与承诺不符; 无冷链设备",
        "C1",
        "C1:verification",
        REGION,
    )
    assert datetime.fromisoformat(data["occurred_at"].replace("Z", "+00:00")) == MONDAY_10
    [revoked] = [e for e in store(deps).events("case.decided") if e.data["decision"] == "revoked"]
    assert revoked.data["reasons"] == ["场地与承诺不符", "无冷链设备"]
    assert revoked.data["legal_basis"] == "《行政许可法》第六十九条"
    [filed] = audit(deps, "credit_incident")
    assert (filed["actor"], filed["stage_id"], filed["detail"]) == (
        "h-1",
        "C1:verification",
        {"incident_type": "false_commitment"},
    )
    closed = [e for e in audit(deps, "stage_closed") if e["stage_id"] == "C1:verification"]
    assert [(e["actor"], e["detail"]["outcome"]) for e in closed] == [("h-1", "failed")]


async def test_a_false_commitment_without_reasons_says_the_commitment_proved_untrue() -> None:
    deps = make_deps()
    await approved_with_commitment(deps)
    case = await signed(deps, "C1", "verification", Action.VERIFY, HANDLER, commitment_true=False)
    assert case.stages["C1:verification"].reason == "告知承诺内容经核查不实"
    [incident] = store(deps).events("credit.incident")
    assert incident.data["description"] == "告知承诺内容经核查不实"


async def test_a_true_commitment_closes_the_verification_with_the_officer_and_note() -> None:
    deps = make_deps()
    await approved_with_commitment(deps)
    await signed(deps, "C1", "deliver", Action.DELIVER, HANDLER)
    case = await signed(
        deps,
        "C1",
        "verification",
        Action.VERIFY,
        HANDLER,
        commitment_true=True,
        note="现场核查属实",
    )
    stage = case.stages["C1:verification"]
    assert (stage.outcome, stage.closed_by, stage.reason) == ("passed", "h-1", "现场核查属实")
    assert case.status == CaseStatus.COMPLETED


async def test_a_verification_must_say_whether_the_commitment_proved_true() -> None:
    deps = make_deps()
    await approved_with_commitment(deps)
    await do(deps, "C1", "verification", Action.SIGN_IN, HANDLER)
    with pytest.raises(InvalidAction) as refused:
        await do(deps, "C1", "verification", Action.VERIFY, HANDLER)
    assert (refused.value.field, refused.value.message) == (
        "commitment_true",
        "record whether the commitment proved true",
    )


async def test_a_supplement_request_names_the_materials_and_says_why_the_second_time() -> None:
    from services.approval.handlers import on_case_supplemented
    from shared.contracts import CaseSupplemented, Material, MaterialForm
    from tests.unit.approval.approval_fakes import envelope_of

    deps = make_deps()
    await submit(deps)
    await do(deps, "C1", "prereview", Action.SIGN_IN, HANDLER)
    with pytest.raises(InvalidAction) as refused:
        await do(deps, "C1", "prereview", Action.REQUEST_SUPPLEMENTS, HANDLER)
    assert (refused.value.field, refused.value.message) == (
        "materials",
        "name the materials the applicant must supplement",
    )
    case = await do(
        deps, "C1", "prereview", Action.REQUEST_SUPPLEMENTS, HANDLER, materials=["lease", "id"]
    )
    assert case.supplement_rounds == 1
    wait = case.stages["C1:prereview"].suspensions[-1]
    assert wait.note == "请补正材料：lease, id"
    [done] = store(deps).events("prereview.done")
    assert done.data["reasons"] == ["请补正材料：lease, id"]

    sup = CaseSupplemented(
        case_id="C1",
        materials=[Material(code="lease", form=MaterialForm.UPLOAD)],
        supplemented_at=MONDAY_10,
    )
    await on_case_supplemented(deps, envelope_of(sup), sup)
    with pytest.raises(InvalidAction) as refused:
        await do(deps, "C1", "prereview", Action.REQUEST_SUPPLEMENTS, HANDLER, materials=["id"])
    assert (refused.value.field, refused.value.message) == (
        "note",
        "a second supplement request must say why the first did not ask for it",
    )
    case = await do(
        deps,
        "C1",
        "prereview",
        Action.REQUEST_SUPPLEMENTS,
        HANDLER,
        materials=["id"],
        reasons=["身份证复印件不清晰"],
        note="首次收到的复印件无法辨认",
    )
    assert case.supplement_rounds == 2
    wait = case.stages["C1:prereview"].suspensions[-1]
    assert wait.note == "身份证复印件不清晰（首次收到的复印件无法辨认）"
