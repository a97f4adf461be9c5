"""The owed-material deadline of a case accepted with gaps (容缺受理) is one more stage kind to
the monitor: lit green, yellow and red like every stage by the same timers, with no sign-in
expected (approval opens it assigned to the applicant), and out of supervision once closed."""

from __future__ import annotations

from datetime import timedelta

from services.monitor import handlers as h
from services.monitor.board import case_view
from shared.contracts import StageClosed, StageKind
from tests.unit.monitor.fakes import fake_deps
from tests.unit.monitor.test_handlers import DUE, OPENED, env, fire, msg, opened


async def test_the_owed_material_stage_is_lit_like_any_stage_and_needs_no_sign_in() -> None:
    deps, store, pub, sched = fake_deps()
    e = opened("C1:owed_materials", stage=StageKind.OWED_MATERIALS.value).model_copy(
        update={"assignee": "applicant"}
    )
    await h.on_stage_opened(deps.arrived(msg(OPENED)), env(e, OPENED), e)
    record = store.get("C1")
    stage = None if record is None else record.stage("C1:owed_materials")
    assert stage is not None and stage.sign_in_due is None
    view = case_view(store.get("C1"), OPENED)
    assert view is not None and view["stages"][0]["light"] == "green"
    warn_at = sched.due[("C1", "C1:owed_materials")]
    await fire(deps, sched.due, warn_at, "C1:owed_materials")
    assert pub.types() == ["warned"]
    view = case_view(store.get("C1"), warn_at)
    assert view is not None and view["stages"][0]["light"] == "yellow"
    view = case_view(store.get("C1"), DUE + timedelta(seconds=1))
    assert view is not None and view["stages"][0]["light"] == "red"
    closed = StageClosed(
        case_id="C1",
        stage_id="C1:owed_materials",
        stage=StageKind.OWED_MATERIALS,
        outcome="completed",
        reason="容缺材料已补齐",
        department="D1",
        closed_at=warn_at + timedelta(minutes=1),
    )
    await h.on_stage_closed(
        deps.arrived(msg(closed.closed_at)), env(closed, closed.closed_at), closed
    )
    assert ("C1", "C1:owed_materials") not in sched.due
