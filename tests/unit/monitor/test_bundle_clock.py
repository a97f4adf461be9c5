"""A bundle's promised limit (一件事, docs/bundles.md) is supervised by the monitor exactly like a
case's promised limit: intake publishes it as a case_promised clock, the monitor has no bundle
code. The events are the ones intake builds (services/intake/handlers/bundle_events.py)."""

from __future__ import annotations

from datetime import datetime

from services.intake.domain.bundle_case import BundleApplication, BundledCase
from services.intake.handlers.bundle_events import bundle_clock_closed, bundle_clock_opened
from services.monitor import handlers as h
from services.monitor.board import build_board
from shared.calendar import Limit
from shared.clock import SHANGHAI
from shared.contracts import Applicant, Channel, StageClosed, StageOpened
from tests.unit.monitor.fakes import fake_deps
from tests.unit.monitor.test_handlers import CAL, OPENED, msg

BUNDLE = "YJS-500000-20260923-000001"


def application() -> BundleApplication:
    limit = Limit(value=2)
    return BundleApplication(
        bundle_id=BUNDLE,
        bundle_code="500000-YJS-001",
        bundle_name="开办企业一件事",
        bundle_version=1,
        region="500000",
        lead_department="500000-SCJ",
        applicant=Applicant(kind="person", id_number="500103199005170126", name="张三"),
        channel=Channel.WEB,
        receiving_region="500000",
        submitted_at=OPENED,
        promised_limit=limit,
        due_at=CAL.deadline(OPENED, limit),
        items=[BundledCase(item_code="500000-SCJ-001", item_name="x", case_id="500000-1")],
    )


async def run_timers(deps: h.Deps, sched: object, until: datetime) -> None:
    for _ in range(8):
        for (case, stage_id), due in list(sched.due.items()):  # type: ignore[attr-defined]
            if due is not None and due <= until:
                await h.on_timer(deps.arrived(msg(until)), case, stage_id)


async def test_an_overdue_bundle_is_escalated_like_a_broken_case_promise() -> None:
    deps, store, pub, sched = fake_deps()
    app = application()
    opened_env = bundle_clock_opened(app)
    opened = StageOpened.model_validate(opened_env.data)
    await h.on_stage_opened(deps.arrived(msg(OPENED)), opened_env, opened)
    later = datetime(2026, 10, 20, 12, tzinfo=SHANGHAI)
    await run_timers(deps, sched, later)
    overdue = [e.data for e in pub.sent if e.type.endswith("overdue.v1")]
    assert [(o["case_id"], o["stage"]) for o in overdue] == [(BUNDLE, "case_promised")]
    rungs = {
        e.data["rung"]: e.data["recipients"] for e in pub.sent if e.type.endswith("escalated.v1")
    }
    assert rungs[1] == ["section_chief"] and rungs[2] == ["department_head"]
    assert not [e for e in pub.sent if e.type.endswith("finding.v1")]  # nobody signs in
    assert build_board(store.records(), [], later)["case_limits"]["case_promised"]["red"] == 1


async def test_a_bundle_closed_in_time_is_green_and_leaves_supervision() -> None:
    deps, store, pub, sched = fake_deps()
    app = application()
    opened_env = bundle_clock_opened(app)
    opened = StageOpened.model_validate(opened_env.data)
    await h.on_stage_opened(deps.arrived(msg(OPENED)), opened_env, opened)
    done = datetime(2026, 9, 24, 15, tzinfo=SHANGHAI)
    closed_env = bundle_clock_closed(app, "completed", done, None)
    closed = StageClosed.model_validate(closed_env.data)
    await h.on_stage_closed(deps.arrived(msg(done)), closed_env, closed)
    await run_timers(deps, sched, datetime(2026, 10, 20, 12, tzinfo=SHANGHAI))
    assert not [e for e in pub.sent if e.type.endswith(("overdue.v1", "escalated.v1"))]
