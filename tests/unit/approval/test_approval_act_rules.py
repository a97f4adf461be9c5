"""What an officer's action is refused with, and what it leaves behind (workflow.act): a
department without a sub-task of a parallel step is told the sub-tasks there are, an unknown
stage is 404 naming it, a stale form is told both versions, an action the stage does not allow
names the stage's state, work entered afterwards is on the record with who and when it was
typed in, and the case read is left as it was. The cases come from approval's real handlers."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.approval.domain import Action, Case
from services.approval.domain.audit import AuditRecord
from services.approval.domain.inputs import ActionInput
from services.approval.domain.model import ActionNotAllowed, NotFound
from services.approval.domain.stages import Transition
from services.approval.domain.workflow import act
from shared.errors import StaleVersion
from tests.unit.approval.approval_fakes import MONDAY_10, make_deps
from tests.unit.approval.test_approval_workflow import (
    HANDLER,
    PARALLEL_DEPTS,
    _to_parallel_review,
    submit,
)

DEPS = make_deps()
NOW = MONDAY_10 + timedelta(hours=2)


def acting(
    case: Case, stage_id: str, action: Action, *, version: int | None = None, **p: object
) -> Transition:
    return act(
        case,
        stage_id,
        action,
        HANDLER,
        ActionInput.model_validate(p),
        expected_version=case.version if version is None else version,
        now=NOW,
        calendar=DEPS.calendar,
        policy=DEPS.policy,
    )


async def test_a_department_without_a_sub_task_is_told_the_sub_tasks_there_are() -> None:
    deps = make_deps()
    await _to_parallel_review(deps, "all")
    case = await deps.store.get("C1")
    assert case is not None
    with pytest.raises(ActionNotAllowed) as exc:
        acting(case, "C1:review:500000-XXX", Action.SIGN_IN)
    subs = ", ".join(f"C1:review:{d}" for d in PARALLEL_DEPTS)
    assert str(exc.value) == (
        "department 500000-XXX has no sub-task of the parallel stage C1:review "
        f"(its sub-tasks: {subs})"
    )


async def test_an_unknown_stage_a_stale_form_and_a_refused_action_say_why() -> None:
    case = await submit(make_deps())
    with pytest.raises(NotFound) as missing:
        acting(case, "C1:nope", Action.SIGN_IN)
    assert str(missing.value) == "case C1 has no stage C1:nope"
    with pytest.raises(StaleVersion) as stale:
        acting(case, "C1:prereview", Action.SIGN_IN, version=case.version - 1)
    v = case.version
    assert str(stale.value) == f"case was changed: version {v - 1} is stale, current is {v}"
    with pytest.raises(ActionNotAllowed) as refused:
        acting(case, "C1:prereview", Action.PASS)
    assert str(refused.value) == (
        "pass is not allowed on prereview stage in state not signed in/open (case prereview)"
    )
    signed = acting(case, "C1:prereview", Action.SIGN_IN).case
    with pytest.raises(ActionNotAllowed) as again:
        acting(signed, "C1:prereview", Action.SIGN_IN)
    assert "in state signed in/" in str(again.value)
    assert case.stages["C1:prereview"].assignee is None  # the case read is left as it was


async def test_work_entered_afterwards_is_recorded_with_who_and_when_it_was_typed_in() -> None:
    case = await submit(make_deps())
    signed = acting(case, "C1:prereview", Action.SIGN_IN).case
    done = acting(signed, "C1:prereview", Action.PASS, performed_at=MONDAY_10 + timedelta(hours=1))
    assert done.audit[0] == AuditRecord(
        action="entered_afterwards",
        actor="h-1",
        stage_id="C1:prereview",
        detail={"recorded_at": NOW.isoformat()},
    )
