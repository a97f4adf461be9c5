"""The case workflow through the real handlers with an in-memory store."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from services.approval.domain import (
    Action,
    ActionInput,
    ActionNotAllowed,
    Case,
    CaseStatus,
    Forbidden,
    InvalidAction,
    Officer,
    StaleVersion,
)
from services.approval.handlers import (
    Deps,
    on_case_submitted,
    on_case_supplemented,
    perform_action,
)
from shared.calendar import Limit, load_default_calendar
from shared.clock import SHANGHAI, FixedClock
from shared.contracts import (
    CaseSupplemented,
    Material,
    MaterialForm,
    StageKind,
    derived_event_id,
)
from tests.unit.approval.approval_fakes import (
    DEPT,
    MONDAY_10,
    REGION,
    STANDARD_PLAN,
    InMemoryCaseStore,
    envelope_of,
    make_deps,
    plan,
    submitted,
)


def officer(sub: str, role: str, department: str = DEPT, region: str = REGION) -> Officer:
    return Officer(subject=sub, department=department, region=region, roles=frozenset({role}))


CAL_FOR_TESTS = load_default_calendar()
HANDLER = officer("h-1", "handler")
REVIEWER = officer("r-1", "reviewer")
APPROVER = officer("a-1", "approver")


def store(deps: Deps) -> InMemoryCaseStore:
    assert isinstance(deps.store, InMemoryCaseStore)
    return deps.store


async def do(
    deps: Deps, case_id: str, stage: str, action: Action, who: Officer, **params: object
) -> Case:
    case = await deps.store.get(case_id)
    assert case is not None
    return await perform_action(
        deps,
        case_id=case_id,
        stage_id=stage,
        action=action,
        officer=who,
        params=ActionInput(**params),
        expected_version=case.version,  # type: ignore[arg-type]
    )


async def signed(
    deps: Deps, case_id: str, stage: str, action: Action, who: Officer, **p: object
) -> Case:
    await do(deps, case_id, stage, Action.SIGN_IN, who)
    return await do(deps, case_id, stage, action, who, **p)


async def submit(deps: Deps, case_id: str = "C1", **kw: object) -> Case:
    await on_case_submitted(deps, envelope_of(submitted(case_id, **kw)), submitted(case_id, **kw))  # type: ignore[arg-type]
    case = await deps.store.get(case_id)
    assert case is not None
    return case


def local(dt: datetime) -> datetime:
    return dt.astimezone(SHANGHAI)


async def test_submitted_case_opens_prereview_due_in_two_working_days() -> None:
    deps = make_deps()
    case = await submit(deps)
    stage = case.stages["C1:prereview"]
    assert case.status == CaseStatus.PREREVIEW and case.findings == []
    assert local(stage.due_at) == datetime(2026, 3, 4, 23, 59, 59, tzinfo=SHANGHAI)
    [opened] = store(deps).events("stage.opened")
    assert opened.id == derived_event_id("C1", "C1:prereview", "opened")
    assert opened.data["department"] == DEPT and opened.data["assignee"] is None
    assert opened.data["promised_limit"] == {"value": 10, "unit": "working_days"}


async def test_replayed_submission_changes_nothing() -> None:
    deps = make_deps()
    await submit(deps)
    await submit(deps)
    assert len(store(deps).events("stage.opened")) == 1
    assert len(store(deps).entries["C1"]) == 3


async def test_completeness_check_records_findings_an_applicant_can_read() -> None:
    deps = make_deps()
    case = await submit(
        deps,
        materials=[
            Material(
                code="old_licence",
                form=MaterialForm.ELICENSE,
                licence_ref="EL-500000-SCJ-009-X;exp=2025-12-31",
            ),
            Material(code="promise", form=MaterialForm.COMMITMENT, commitment_text="我承诺"),
        ],
        required=["licence_form", "old_licence"],
        commitment_used=True,
        commitment_allowed=False,
    )
    assert case.findings == [
        "缺少必要材料：licence_form",
        "电子证照已过期（old_licence，有效期至 2025-12-31）",
        "本事项不适用告知承诺制，请提交证明材料",
    ]
    black = await submit(deps, "C2", commitment_used=True, commitment_allowed=True, black_list=True)
    assert black.findings == ["申请人被列入失信名单，不适用告知承诺制，请提交证明材料"]


async def test_happy_path_runs_the_plan_and_issues_an_e_licence() -> None:
    deps = make_deps()
    await submit(deps)
    await signed(deps, "C1", "prereview", Action.PASS, HANDLER)
    await signed(deps, "C1", "accept", Action.ACCEPT, HANDLER)
    await signed(deps, "C1", "review", Action.PASS, REVIEWER)
    await signed(deps, "C1", "decide", Action.APPROVE, APPROVER)
    case = await signed(deps, "C1", "deliver", Action.DELIVER, HANDLER)

    assert case.status == CaseStatus.COMPLETED
    s = store(deps)
    [decided] = s.events("case.decided")
    assert decided.data["decision"] == "approved"
    assert decided.data["licence_ref"] == "EL-500000-SCJ-001-C1"
    assert [e.data["stage"] for e in s.events("stage.opened")] == [
        "prereview",
        "accept",
        "case_promised",  # acceptance starts the case's own limits
        "case_statutory",
        "review",
        "decide",
        "deliver",
    ]
    closed = s.events("stage.closed")
    assert [(e.data["stage"], e.data["outcome"], e.data["officer"]) for e in closed] == [
        ("prereview", "passed", "h-1"),
        ("accept", "passed", "h-1"),
        ("review", "passed", "r-1"),
        ("decide", "approved", "a-1"),
        ("deliver", "completed", "h-1"),
        ("case_promised", "completed", None),  # finished with the last stage
        ("case_statutory", "completed", None),
    ]
    [done] = s.events("prereview.done")
    assert done.data["outcome"] == "passed"
    assert len(s.events("stage.signed_in")) == 5
    assert s.rows["C1:review"]["assignee"] == "r-1"


async def test_an_applicant_whose_credit_asks_for_it_gets_a_credit_review_stage() -> None:
    """Issue 19: level C/D and black-listed applicants get an additional check stage
    (信用加强审查) after acceptance, on the reviewer's desk; the item's plan follows."""
    deps = make_deps()
    await submit(deps, extra_review=True, black_list=True)
    await signed(deps, "C1", "prereview", Action.PASS, HANDLER)
    await signed(deps, "C1", "accept", Action.ACCEPT, HANDLER)
    s = store(deps)
    credit_review = s.rows["C1:review"]
    assert (credit_review["name"], credit_review["required_role"]) == ("信用加强审查", "reviewer")
    await signed(deps, "C1", "review", Action.PASS, REVIEWER)
    await signed(deps, "C1", "review-3", Action.PASS, REVIEWER)  # the item's own review
    await signed(deps, "C1", "decide", Action.APPROVE, APPROVER)
    case = await signed(deps, "C1", "deliver", Action.DELIVER, HANDLER)
    assert case.status == CaseStatus.COMPLETED
    opened = [(e.data["stage"], e.data["name"]) for e in s.events("stage.opened")]
    reviews = [name for stage, name in opened if stage == "review"]
    assert reviews == ["信用加强审查", "review"]
    # without it, the plan is the item's
    plain = make_deps()
    await submit(plain)
    assert [step.name for step in (await plain.store.get("C1")).plan] == [  # type: ignore[union-attr]
        step.name for step in STANDARD_PLAN
    ]


async def test_prereview_fail_closes_the_case_with_reasons() -> None:
    deps = make_deps()
    await submit(deps)
    await do(deps, "C1", "prereview", Action.SIGN_IN, HANDLER)
    with pytest.raises(InvalidAction) as exc:
        await do(deps, "C1", "prereview", Action.FAIL, HANDLER)
    assert exc.value.field == "reasons"
    case = await do(deps, "C1", "prereview", Action.FAIL, HANDLER, reasons=["营业执照模糊不清"])
    assert case.status == CaseStatus.PREREVIEW_FAILED
    [decided] = store(deps).events("case.decided")
    assert decided.data["decision"] == "prereview_failed"
    assert decided.data["reasons"] == ["营业执照模糊不清"]
    assert store(deps).events("prereview.done")[0].data["outcome"] == "failed"


async def test_supplement_wait_stops_the_prereview_clock() -> None:
    clock = FixedClock(MONDAY_10)
    deps = make_deps(clock)
    await submit(deps)
    await signed(
        deps, "C1", "prereview", Action.REQUEST_SUPPLEMENTS, HANDLER, materials=["id_copy"]
    )
    case = await deps.store.get("C1")
    assert case is not None and case.status == CaseStatus.AWAITING_SUPPLEMENT
    [suspended] = store(deps).events("stage.suspended")
    assert suspended.data["reason"] == "supplement"
    [done] = store(deps).events("prereview.done")
    assert done.data["requested_materials"] == ["id_copy"]

    with pytest.raises(ActionNotAllowed) as exc:
        await do(deps, "C1", "prereview", Action.PASS, HANDLER)
    assert exc.value.allowed == ["fail"]  # only the applicant's reply resumes the clock

    clock.advance(timedelta(days=3))  # Thursday 10:00: three working days waited
    supplement = CaseSupplemented(
        case_id="C1",
        materials=[Material(code="id_copy", form=MaterialForm.UPLOAD)],
        supplemented_at=clock.now(),
    )
    await on_case_supplemented(deps, envelope_of(supplement), supplement)
    [resumed] = store(deps).events("stage.resumed")
    # Due Wednesday 4 March; the three waited working days (Mon-Wed) are given back: Mon 9 March.
    resumed_due = datetime.fromisoformat(resumed.data["due_at"])
    assert resumed_due == datetime(2026, 3, 9, 23, 59, 59, tzinfo=SHANGHAI)
    case = await deps.store.get("C1")
    assert case is not None and case.status == CaseStatus.PREREVIEW
    # The same officer passes it after the supplement.
    case = await do(deps, "C1", "prereview", Action.PASS, HANDLER)
    assert case.status == CaseStatus.IN_PROGRESS

    await on_case_supplemented(deps, envelope_of(supplement), supplement)  # late copy: ignored
    assert len(store(deps).events("stage.resumed")) == 1


async def test_refusal_needs_reasons_and_legal_basis() -> None:
    deps = make_deps()
    await submit(deps)
    await signed(deps, "C1", "prereview", Action.PASS, HANDLER)
    await do(deps, "C1", "accept", Action.SIGN_IN, HANDLER)
    with pytest.raises(InvalidAction) as exc:
        await do(deps, "C1", "accept", Action.REFUSE, HANDLER, reasons=["不属于本机关职权范围"])
    assert exc.value.field == "legal_basis"
    case = await do(
        deps,
        "C1",
        "accept",
        Action.REFUSE,
        HANDLER,
        reasons=["不属于本机关职权范围"],
        legal_basis="《行政许可法》第三十二条",
    )
    assert case.status == CaseStatus.REFUSED
    [decided] = store(deps).events("case.decided")
    assert (decided.data["decision"], decided.data["legal_basis"]) == (
        "refused",
        "《行政许可法》第三十二条",
    )
    assert store(deps).events("stage.closed")[-1].data["outcome"] == "refused"


PARALLEL_DEPTS = [DEPT, "500000-ZJW", "500000-XFJY"]


def parallel_plan(mode: str) -> list:  # type: ignore[type-arg]
    return plan(
        (StageKind.ACCEPT, [DEPT], "handler"),
        (StageKind.REVIEW, PARALLEL_DEPTS, "reviewer", mode),
        (StageKind.DECIDE, [DEPT], "approver"),
    )


async def _to_parallel_review(deps: Deps, mode: str) -> None:
    await submit(deps, stage_plan=parallel_plan(mode))
    await signed(deps, "C1", "prereview", Action.PASS, HANDLER)
    await signed(deps, "C1", "accept", Action.ACCEPT, HANDLER)


def dept_reviewer(i: int) -> Officer:
    return officer(f"r-{i}", "reviewer", PARALLEL_DEPTS[i])


async def test_parallel_all_opens_a_sub_task_per_department_and_passes_when_all_approve() -> None:
    deps = make_deps()
    await _to_parallel_review(deps, "all")
    opened = [e.data for e in store(deps).events("stage.opened") if e.data["stage"] == "review"]
    assert [(o["stage_id"], o["department"], o["parent_stage_id"]) for o in opened] == [
        ("C1:review", DEPT, None),
        *[(f"C1:review:{d}", d, "C1:review") for d in PARALLEL_DEPTS],
    ]
    assert {o["parallel_mode"] for o in opened} == {"all"}
    for i in range(2):
        case = await signed(
            deps, "C1", f"C1:review:{PARALLEL_DEPTS[i]}", Action.APPROVE, dept_reviewer(i)
        )
        assert case.stages["C1:review"].is_active  # still waiting for the third
    case = await signed(
        deps, "C1", f"C1:review:{PARALLEL_DEPTS[2]}", Action.APPROVE, dept_reviewer(2)
    )
    assert case.stages["C1:review"].outcome == "passed"
    assert "C1:decide" in case.stages


async def test_parallel_all_fails_on_the_first_denial() -> None:
    deps = make_deps()
    await _to_parallel_review(deps, "all")
    await signed(deps, "C1", f"C1:review:{PARALLEL_DEPTS[0]}", Action.APPROVE, dept_reviewer(0))
    case = await signed(
        deps,
        "C1",
        f"C1:review:{PARALLEL_DEPTS[1]}",
        Action.DENY,
        dept_reviewer(1),
        reasons=["不符合规划条件"],
        legal_basis="《城乡规划法》第四十条",
    )
    assert case.status == CaseStatus.DENIED
    outcomes = {s.stage_id: s.outcome for s in case.stages.values() if s.kind == StageKind.REVIEW}
    assert outcomes == {
        "C1:review": "denied",
        f"C1:review:{PARALLEL_DEPTS[0]}": "approved",
        f"C1:review:{PARALLEL_DEPTS[1]}": "denied",
        f"C1:review:{PARALLEL_DEPTS[2]}": "cancelled",
    }
    [decided] = store(deps).events("case.decided")
    assert decided.data["decision"] == "denied" and decided.data["department"] == PARALLEL_DEPTS[1]


async def test_parallel_any_passes_on_the_first_approval_after_a_denial() -> None:
    deps = make_deps()
    await _to_parallel_review(deps, "any")
    case = await signed(
        deps,
        "C1",
        f"C1:review:{PARALLEL_DEPTS[0]}",
        Action.DENY,
        dept_reviewer(0),
        reasons=["资料不全"],
        legal_basis="第十条",
    )
    assert case.stages["C1:review"].is_active and case.status == CaseStatus.IN_PROGRESS
    case = await signed(
        deps, "C1", f"C1:review:{PARALLEL_DEPTS[2]}", Action.APPROVE, dept_reviewer(2)
    )
    assert case.stages["C1:review"].outcome == "passed"
    assert case.stages[f"C1:review:{PARALLEL_DEPTS[1]}"].outcome == "cancelled"
    assert case.stages["C1:decide"].is_active


async def test_parallel_any_fails_only_when_every_department_denies() -> None:
    deps = make_deps()
    await _to_parallel_review(deps, "any")
    for i in range(3):
        case = await signed(
            deps,
            "C1",
            f"C1:review:{PARALLEL_DEPTS[i]}",
            Action.DENY,
            dept_reviewer(i),
            reasons=["不符合"],
            legal_basis="第十条",
        )
    assert case.status == CaseStatus.DENIED


async def test_role_department_region_and_separation_of_duties_are_enforced() -> None:
    deps = make_deps()
    await submit(deps)
    with pytest.raises(Forbidden, match="role 'handler'"):
        await do(deps, "C1", "prereview", Action.SIGN_IN, REVIEWER)
    with pytest.raises(Forbidden, match="department"):
        await do(deps, "C1", "prereview", Action.SIGN_IN, officer("x", "handler", "500000-ZJW"))
    with pytest.raises(Forbidden, match="region"):
        await do(deps, "C1", "prereview", Action.SIGN_IN, officer("x", "handler", region="510100"))
    await signed(deps, "C1", "prereview", Action.PASS, HANDLER)
    await signed(deps, "C1", "accept", Action.ACCEPT, HANDLER)
    two_hats = Officer(
        subject="h-1", department=DEPT, region=REGION, roles=frozenset({"handler", "reviewer"})
    )
    with pytest.raises(Forbidden, match="separation of duties"):
        await do(deps, "C1", "review", Action.SIGN_IN, two_hats)
    # Another officer who signed in owns the task.
    await do(deps, "C1", "review", Action.SIGN_IN, REVIEWER)
    with pytest.raises(Forbidden, match="signed in by r-1"):
        await do(deps, "C1", "review", Action.PASS, officer("r-2", "reviewer"))


async def test_stale_version_and_disallowed_actions_are_conflicts() -> None:
    deps = make_deps()
    case = await submit(deps)
    with pytest.raises(ActionNotAllowed) as exc:
        await do(deps, "C1", "prereview", Action.PASS, HANDLER)
    assert exc.value.allowed == ["sign-in"]
    await do(deps, "C1", "prereview", Action.SIGN_IN, HANDLER)
    with pytest.raises(StaleVersion):
        await perform_action(
            deps,
            case_id="C1",
            stage_id="prereview",
            action=Action.PASS,
            officer=HANDLER,
            params=ActionInput(),
            expected_version=case.version,
        )
    with pytest.raises(ActionNotAllowed) as exc:
        await do(deps, "C1", "prereview", Action.APPROVE, HANDLER)
    assert exc.value.allowed == ["pass", "fail", "request-supplements"]


async def test_special_procedure_time_never_counts() -> None:
    clock = FixedClock(MONDAY_10)
    deps = make_deps(clock)
    await submit(deps)
    await signed(deps, "C1", "prereview", Action.PASS, HANDLER)
    await signed(deps, "C1", "accept", Action.ACCEPT, HANDLER)
    case = await do(deps, "C1", "review", Action.SIGN_IN, REVIEWER)
    due_before = case.stages["C1:review"].due_at
    with pytest.raises(InvalidAction):
        await do(deps, "C1", "review", Action.SUSPEND, REVIEWER)
    await do(deps, "C1", "review", Action.SUSPEND, REVIEWER, suspension_reason="expert_review")
    suspended, *clocks = store(deps).events("stage.suspended")
    assert suspended.data["max_length"] == {"value": 30, "unit": "working_days"}
    # the only open stage stopped: so did the case's own limits, at most until its maximum
    assert [c.data["stage_id"] for c in clocks] == ["C1:case_promised", "C1:case_statutory"]
    review_max = CAL_FOR_TESTS.deadline(
        datetime.fromisoformat(suspended.data["suspended_at"]), Limit(value=30)
    )
    assert {datetime.fromisoformat(c.data["ends_by"]) for c in clocks} == {review_max}
    with pytest.raises(ActionNotAllowed) as exc:
        await do(deps, "C1", "review", Action.PASS, REVIEWER)
    assert exc.value.allowed == ["resume"]
    clock.advance(timedelta(days=7))  # one calendar week = five working days
    case = await do(deps, "C1", "review", Action.RESUME, REVIEWER)
    due_after = case.stages["C1:review"].due_at
    assert local(due_before).date() == datetime(2026, 3, 9).date()
    assert local(due_after).date() == datetime(2026, 3, 16).date()
    assert store(deps).rows["C1:review"]["state"] == "open"


async def test_false_commitment_revokes_and_reports_a_credit_incident() -> None:
    deps = make_deps()
    await submit(deps, commitment_used=True, commitment_allowed=True)
    await signed(deps, "C1", "prereview", Action.PASS, HANDLER)
    await signed(deps, "C1", "accept", Action.ACCEPT, HANDLER)
    await signed(deps, "C1", "review", Action.PASS, REVIEWER)
    case = await signed(deps, "C1", "decide", Action.APPROVE, APPROVER)
    verification = case.stages["C1:verification"]
    assert local(verification.due_at).date() == datetime(2026, 3, 30).date()  # 20 working days
    await signed(deps, "C1", "deliver", Action.DELIVER, HANDLER)
    case = await do(deps, "C1", "verification", Action.SIGN_IN, HANDLER)
    assert case.status == CaseStatus.VERIFICATION
    with pytest.raises(InvalidAction):
        await do(deps, "C1", "verification", Action.VERIFY, HANDLER)
    case = await do(deps, "C1", "verification", Action.VERIFY, HANDLER, commitment_true=False)
    assert case.status == CaseStatus.REVOKED
    decisions = [e.data["decision"] for e in store(deps).events("case.decided")]
    assert decisions == ["approved", "revoked"]
    [incident] = store(deps).events("credit.incident")
    assert incident.subject == "91500000MA5U000000"
    assert incident.data["subject_kind"] == "entity"
    assert incident.data["incident_type"] == "false_commitment"
    assert incident.data["severity"] == "serious"
    assert incident.data["source_system"] == "egov-approval"
    assert incident.data["evidence"] == ["C1"]


async def test_true_commitment_completes_the_case() -> None:
    deps = make_deps()
    await submit(deps, commitment_used=True, commitment_allowed=True, kind="person")
    await signed(deps, "C1", "prereview", Action.PASS, HANDLER)
    await signed(deps, "C1", "accept", Action.ACCEPT, HANDLER)
    await signed(deps, "C1", "review", Action.PASS, REVIEWER)
    await signed(deps, "C1", "decide", Action.APPROVE, APPROVER)
    case = await signed(deps, "C1", "verification", Action.VERIFY, HANDLER, commitment_true=True)
    assert case.status == CaseStatus.IN_PROGRESS  # deliver still open
    case = await signed(deps, "C1", "deliver", Action.DELIVER, HANDLER)
    assert case.status == CaseStatus.COMPLETED
    assert store(deps).events("credit.incident") == []


async def test_a_revoked_case_cancels_the_stages_still_open() -> None:
    """A false commitment found while the licence is still being delivered: the revocation
    closes the delivery (nobody may deliver a revoked licence) and the case's limits."""
    deps = make_deps()
    await submit(deps, commitment_used=True, commitment_allowed=True)
    await signed(deps, "C1", "prereview", Action.PASS, HANDLER)
    await signed(deps, "C1", "accept", Action.ACCEPT, HANDLER)
    await signed(deps, "C1", "review", Action.PASS, REVIEWER)
    await signed(deps, "C1", "decide", Action.APPROVE, APPROVER)
    case = await do(deps, "C1", "deliver", Action.SIGN_IN, HANDLER)
    assert {s.stage_id for s in case.active_stages()} == {
        "C1:deliver",
        "C1:verification",
        "C1:case_promised",
        "C1:case_statutory",
    }
    case = await signed(deps, "C1", "verification", Action.VERIFY, HANDLER, commitment_true=False)
    assert case.status == CaseStatus.REVOKED
    assert case.active_stages() == []
    assert case.stages["C1:deliver"].outcome == "cancelled"
    closed = {e.data["stage_id"]: e.data["outcome"] for e in store(deps).events("stage.closed")}
    assert closed["C1:deliver"] == "cancelled"
    assert await store(deps).open_stage_counts() == {}  # gone from every work list
    with pytest.raises(ActionNotAllowed):
        await do(deps, "C1", "deliver", Action.DELIVER, HANDLER)


async def test_a_refused_case_cancels_the_sub_tasks_still_open() -> None:
    """One department refuses a parallel acceptance (会签): the others' sub-tasks, a suspended
    one included, close as cancelled and nothing of the case stays on a work list."""
    deps = make_deps()
    accept_by = [DEPT, PARALLEL_DEPTS[1], PARALLEL_DEPTS[2]]
    await submit(
        deps,
        stage_plan=plan(
            (StageKind.ACCEPT, accept_by, "handler"),
            (StageKind.REVIEW, [DEPT], "reviewer"),
        ),
    )
    await signed(deps, "C1", "prereview", Action.PASS, HANDLER)
    handlers = [officer(f"h-{i}", "handler", d) for i, d in enumerate(accept_by)]
    await do(deps, "C1", f"C1:accept:{accept_by[2]}", Action.SIGN_IN, handlers[2])
    await do(
        deps,
        "C1",
        f"C1:accept:{accept_by[2]}",
        Action.SUSPEND,
        handlers[2],
        suspension_reason="onsite_survey",
    )
    case = await signed(
        deps,
        "C1",
        f"C1:accept:{accept_by[1]}",
        Action.DENY,
        handlers[1],
        reasons=["不属于本机关职权范围"],
        legal_basis="《行政许可法》第三十二条",
    )
    assert case.status == CaseStatus.REFUSED
    assert case.active_stages() == []
    outcomes = {s.stage_id: s.outcome for s in case.stages.values() if s.kind == StageKind.ACCEPT}
    assert outcomes == {
        "C1:accept": "refused",
        f"C1:accept:{accept_by[0]}": "cancelled",
        f"C1:accept:{accept_by[1]}": "refused",
        f"C1:accept:{accept_by[2]}": "cancelled",
    }
    assert await store(deps).open_stage_counts() == {}
    assert [e.data["decision"] for e in store(deps).events("case.decided")] == ["refused"]


async def test_unanswered_supplement_request_can_be_failed() -> None:
    deps = make_deps()
    await submit(deps)
    await signed(
        deps, "C1", "prereview", Action.REQUEST_SUPPLEMENTS, HANDLER, materials=["id_copy"]
    )
    case = await do(deps, "C1", "prereview", Action.FAIL, HANDLER, reasons=["逾期未补正"])
    assert case.status == CaseStatus.PREREVIEW_FAILED
    stage = case.stages["C1:prereview"]
    assert stage.suspensions[-1].ended_at is not None
    assert store(deps).rows["C1:prereview"]["state"] == "closed"


@pytest.mark.parametrize(
    "max_length",
    [
        {"value": 31, "unit": "working_days"},  # beyond the policy's 30 for expert review
        {"value": 999_999_999, "unit": "natural_days"},  # absurd, and another unit
    ],
)
async def test_a_suspension_beyond_the_policy_is_refused_naming_the_maximum(
    max_length: dict[str, object],
) -> None:
    deps = make_deps()
    await submit(deps)
    await signed(deps, "C1", "prereview", Action.PASS, HANDLER)
    await signed(deps, "C1", "accept", Action.ACCEPT, HANDLER)
    await do(deps, "C1", "review", Action.SIGN_IN, REVIEWER)
    with pytest.raises(InvalidAction) as refused:
        await do(
            deps,
            "C1",
            "review",
            Action.SUSPEND,
            REVIEWER,
            suspension_reason="expert_review",
            max_length=max_length,
        )
    assert refused.value.field == "max_length"
    assert "at most 30 working_days for expert_review" in refused.value.message
    case = await deps.store.get("C1")
    assert case is not None and case.stages["C1:review"].state.value == "open"  # nothing stored
    shorter = {"value": 5, "unit": "working_days"}
    case = await do(
        deps,
        "C1",
        "review",
        Action.SUSPEND,
        REVIEWER,
        suspension_reason="expert_review",
        max_length=shorter,
    )
    assert case.stages["C1:review"].suspensions[-1].max_length == Limit(value=5)


async def test_a_parallel_stage_stops_only_when_every_open_sub_task_stopped() -> None:
    deps = make_deps()
    await _to_parallel_review(deps, "all")
    for i in range(3):
        await do(deps, "C1", f"C1:review:{PARALLEL_DEPTS[i]}", Action.SIGN_IN, dept_reviewer(i))
    for i in range(2):
        case = await do(
            deps,
            "C1",
            f"C1:review:{PARALLEL_DEPTS[i]}",
            Action.SUSPEND,
            dept_reviewer(i),
            suspension_reason="expert_review",
        )
        assert case.stages["C1:review"].state.value == "open"
    case = await do(
        deps,
        "C1",
        f"C1:review:{PARALLEL_DEPTS[2]}",
        Action.SUSPEND,
        dept_reviewer(2),
        suspension_reason="testing",
    )
    assert case.stages["C1:review"].state.value == "suspended"
    case = await do(deps, "C1", f"C1:review:{PARALLEL_DEPTS[1]}", Action.RESUME, dept_reviewer(1))
    assert case.stages["C1:review"].state.value == "open"
    parent_events = [
        e.type.rsplit(".", 2)[-2]
        for e in store(deps).outbox
        if e.data.get("stage_id") == "C1:review" and "stage." in e.type
    ]
    assert parent_events == ["opened", "suspended", "resumed"]


async def test_an_action_for_a_department_without_a_sub_task_is_409_with_the_allowed_actions() -> (
    None
):
    deps = make_deps()
    await _to_parallel_review(deps, "all")
    other = officer("r-9", "reviewer", "500000-GAJ")
    with pytest.raises(ActionNotAllowed) as refused:
        await do(deps, "C1", "C1:review:500000-GAJ", Action.APPROVE, other)
    assert refused.value.allowed == []
    assert "500000-GAJ has no sub-task" in str(refused.value)
    assert f"C1:review:{PARALLEL_DEPTS[1]}" in str(refused.value)


async def test_work_done_offline_carries_its_declared_time_next_to_the_recorded_one() -> None:
    clock = FixedClock(MONDAY_10)
    deps = make_deps(clock)
    await submit(deps)
    await signed(deps, "C1", "prereview", Action.PASS, HANDLER)
    clock.advance(timedelta(days=3))  # Thursday: typed in for work done on Monday afternoon
    declared = MONDAY_10 + timedelta(hours=4)
    await do(deps, "C1", "accept", Action.SIGN_IN, HANDLER, performed_at=declared)
    case = await do(deps, "C1", "accept", Action.ACCEPT, HANDLER, performed_at=declared)
    assert case.stages["C1:accept"].closed_at == declared
    [closed] = [e for e in store(deps).events("stage.closed") if e.data["stage_id"] == "C1:accept"]
    assert datetime.fromisoformat(closed.data["closed_at"]) == declared
    entries = store(deps).entries["C1"]
    later = [e for e in entries if e["action"] == "entered_afterwards"]
    assert later and all(e["detail"]["recorded_at"] == clock.now().isoformat() for e in later)
    assert all(e["at"] == clock.now().isoformat() for e in later)  # the chain keeps real time
    for bad, message in (
        (clock.now() + timedelta(hours=1), "lies in the future"),
        (MONDAY_10 - timedelta(days=1), "before the stage opened"),
    ):
        with pytest.raises(InvalidAction) as refused:
            await do(deps, "C1", "review", Action.SIGN_IN, REVIEWER, performed_at=bad)
        assert refused.value.field == "performed_at" and message in refused.value.message


async def test_a_second_supplement_request_needs_a_reason_and_an_unanswered_one_lapses() -> None:
    from services.approval.handlers import lapse_supplement_waits

    clock = FixedClock(MONDAY_10)
    deps = make_deps(clock)
    await submit(deps)
    await do(deps, "C1", "prereview", Action.SIGN_IN, HANDLER)
    await do(deps, "C1", "prereview", Action.REQUEST_SUPPLEMENTS, HANDLER, materials=["lease"])
    case = await deps.store.get("C1")
    assert case is not None
    wait = case.stages["C1:prereview"].suspensions[-1]
    assert wait.max_length == Limit(value=20) and wait.ends_by is not None
    # the applicant answers; a second request must say why the first did not ask for it
    from services.approval.handlers import on_case_supplemented
    from shared.contracts import CaseSupplemented, Material, MaterialForm

    sup = CaseSupplemented(
        case_id="C1",
        materials=[Material(code="lease", form=MaterialForm.UPLOAD)],
        supplemented_at=clock.now(),
    )
    await on_case_supplemented(deps, envelope_of(sup), sup)
    with pytest.raises(InvalidAction) as refused:
        await do(deps, "C1", "prereview", Action.REQUEST_SUPPLEMENTS, HANDLER, materials=["id"])
    assert refused.value.field == "note"
    await do(
        deps,
        "C1",
        "prereview",
        Action.REQUEST_SUPPLEMENTS,
        HANDLER,
        materials=["id"],
        note="the copy sent is unreadable",
    )
    assert await lapse_supplement_waits(deps) == 0  # within the wait
    case = await deps.store.get("C1")
    assert case is not None
    ends_by = case.stages["C1:prereview"].suspensions[-1].ends_by
    assert ends_by is not None
    clock.set(ends_by + timedelta(seconds=1))
    assert await lapse_supplement_waits(deps) == 1
    case = await deps.store.get("C1")
    assert case is not None and case.status == CaseStatus.LAPSED
    [decided] = [e for e in store(deps).events("case.decided") if e.data["decision"] == "lapsed"]
    assert decided.data["reasons"] == ["补正期限届满，申请人未补正材料"]
    assert await lapse_supplement_waits(deps) == 0


async def test_an_items_own_maxima_win_over_the_policy() -> None:
    deps = make_deps()
    data = submitted("C1").model_copy(
        update={"suspension_max": {"hearing": Limit(value=5)}, "supplement_max": Limit(value=3)}
    )
    await on_case_submitted(deps, envelope_of(data), data)
    await do(deps, "C1", "prereview", Action.SIGN_IN, HANDLER)
    case = await do(
        deps, "C1", "prereview", Action.REQUEST_SUPPLEMENTS, HANDLER, materials=["lease"]
    )
    assert case.stages["C1:prereview"].suspensions[-1].max_length == Limit(value=3)
    deps2 = make_deps()
    await on_case_submitted(deps2, envelope_of(data), data)
    await signed(deps2, "C1", "prereview", Action.PASS, HANDLER)
    await signed(deps2, "C1", "accept", Action.ACCEPT, HANDLER)
    await do(deps2, "C1", "review", Action.SIGN_IN, REVIEWER)
    with pytest.raises(InvalidAction) as refused:
        await do(
            deps2,
            "C1",
            "review",
            Action.SUSPEND,
            REVIEWER,
            suspension_reason="hearing",
            max_length={"value": 6, "unit": "working_days"},
        )
    assert "at most 5 working_days for hearing" in refused.value.message


async def test_when_the_last_running_sub_task_closes_the_step_and_the_case_limits_stop() -> None:
    deps = make_deps()
    await _to_parallel_review(deps, "all")
    for i in range(3):
        await do(deps, "C1", f"C1:review:{PARALLEL_DEPTS[i]}", Action.SIGN_IN, dept_reviewer(i))
    await do(
        deps,
        "C1",
        f"C1:review:{PARALLEL_DEPTS[0]}",
        Action.SUSPEND,
        dept_reviewer(0),
        suspension_reason="expert_review",
    )
    for i in (1, 2):
        case = await do(
            deps, "C1", f"C1:review:{PARALLEL_DEPTS[i]}", Action.APPROVE, dept_reviewer(i)
        )
    assert case.stages["C1:review"].state.value == "suspended"  # only the stopped one is open
    assert case.stages["C1:case_statutory"].state.value == "suspended"
    case = await do(deps, "C1", f"C1:review:{PARALLEL_DEPTS[0]}", Action.RESUME, dept_reviewer(0))
    assert case.stages["C1:review"].state.value == "open"
    assert case.stages["C1:case_statutory"].state.value == "open"
