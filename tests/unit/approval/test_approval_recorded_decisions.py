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


async def test_supplements_replace_materials_by_code_and_resume_the_clock_with_what_it_had() -> (
    None
):
    from datetime import timedelta

    from services.approval.handlers import lapse_supplement_waits, on_case_supplemented
    from shared.clock import FixedClock
    from shared.contracts import CaseSupplemented, Material, MaterialForm
    from tests.unit.approval.approval_fakes import envelope_of

    clock = FixedClock(MONDAY_10)
    deps = make_deps(clock)
    await submit(
        deps,
        materials=[
            Material(code="licence_form", form=MaterialForm.UPLOAD),
            Material(code="lease", form=MaterialForm.UPLOAD),
        ],
    )
    await do(deps, "C1", "prereview", Action.SIGN_IN, HANDLER)
    case = await do(
        deps, "C1", "prereview", Action.REQUEST_SUPPLEMENTS, HANDLER, materials=["lease"]
    )
    before = case.stages["C1:prereview"]
    left = before.suspensions[-1].remaining_s
    assert left > 0
    clock.advance(timedelta(days=7))  # a week of waiting does not count
    sup = CaseSupplemented(
        case_id="C1",
        materials=[
            Material(code="lease", form=MaterialForm.ELICENSE, licence_ref="EL-500000-FGW-001-X")
        ],
        supplemented_at=clock.now(),
    )
    await on_case_supplemented(deps, envelope_of(sup), sup)
    case = await deps.store.get("C1")
    assert case is not None and case.status == CaseStatus.PREREVIEW
    assert [(m.code, m.form) for m in case.materials] == [
        ("licence_form", MaterialForm.UPLOAD),
        ("lease", MaterialForm.ELICENSE),
    ]
    stage = case.stages["C1:prereview"]
    assert stage.state == "open" and stage.suspensions[-1].ended_at == clock.now()
    assert deps.calendar.working_seconds_between(clock.now(), stage.due_at) == left
    [resumed] = store(deps).events("stage.resumed")
    assert resumed.data["clock_resumed_at"] == resumed.data["resumed_at"]
    [entry] = audit(deps, "case_supplemented")
    assert (entry["actor"], entry["detail"]) == ("applicant", {"materials": ["lease"]})
    [entry] = audit(deps, "stage_resumed")
    assert (entry["actor"], entry["stage_id"]) == ("applicant", "C1:prereview")
    assert entry["detail"] == {"due_at": stage.due_at.isoformat()}
    assert await lapse_supplement_waits(deps) == 0  # nothing waits any more


async def test_an_unanswered_supplement_request_lapses_at_the_instant_the_wait_ends() -> None:
    """The domain rule (the store's sweep asks for waits ended before now, so it lapses the case
    at its first run after that instant)."""
    from datetime import timedelta

    from services.approval.domain import lapse_supplement_wait

    deps = make_deps()
    await submit(deps)
    await do(deps, "C1", "prereview", Action.SIGN_IN, HANDLER)
    case = await do(deps, "C1", "prereview", Action.REQUEST_SUPPLEMENTS, HANDLER, materials=["x"])
    ends_by = case.stages["C1:prereview"].suspensions[-1].ends_by
    assert ends_by is not None
    early = ends_by - timedelta(microseconds=1)
    assert lapse_supplement_wait(case, now=early, calendar=deps.calendar) is None
    tr = lapse_supplement_wait(case, now=ends_by, calendar=deps.calendar)
    assert tr is not None
    assert tr.case.status == CaseStatus.LAPSED and tr.case.version == case.version + 1
    stage = tr.case.stages["C1:prereview"]
    assert (stage.outcome, stage.closed_by, stage.reason, stage.closed_at) == (
        "failed",
        None,
        "补正期限届满，申请人未补正材料",
        ends_by,
    )
    assert [(r.action, r.actor) for r in tr.audit][:1] == [("stage_closed", "system")]
    assert case.status == CaseStatus.AWAITING_SUPPLEMENT  # the stored case is not touched
