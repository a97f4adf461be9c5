"""An intake case's timeline is a keyed audit chain with who moved the case (shared/audit): the
applicant, the officer an event names, or the service that reported the step."""

from __future__ import annotations

import httpx

from services.intake.cli import CaseTimelines
from services.intake.handlers.audit import AUDIT_CHAIN, audit_head, timeline_entries
from shared.audit import check_against_bus, verify
from shared.audit.report import audit_chain
from shared.contracts import AuditCheckpoint
from tests.support.events import prereview_done
from tests.unit.intake.intake_fakes import T0, Wiring
from tests.unit.intake.test_intake_submission import PERSON
from tests.unit.intake.test_intake_tracking_ratings import client, deliver, submitted


async def a_case_with_three_steps(w: Wiring, c: httpx.AsyncClient) -> str:
    case_id, code = await submitted(w, c)
    await deliver(
        w,
        prereview_done(
            case_id,
            reasons=["租赁合同未签字"],
            requested_materials=["premises"],
            officer="h-7",
            decided_at=T0,
        ),
        "ev-1",
    )
    r = await c.post(
        f"/v1/cases/{case_id}/supplements",
        json={"materials": [{"code": "premises", "form": "upload"}]},
        headers={"X-Verification-Code": code},
    )
    assert r.status_code == 200, r.text
    return case_id


async def test_each_step_is_linked_with_who_did_it_and_checkpointed() -> None:
    w = Wiring()
    async with client(w) as c:
        case_id = await a_case_with_three_steps(w, c)
    case = w.store.cases[case_id]
    entries = timeline_entries(case)
    assert [(e["seq"], e["kind"], e["actor"]) for e in entries] == [
        (1, "submitted", f"applicant idp-{PERSON} (web)"),
        (2, "supplement_requested", "h-7"),
        (3, "supplemented", "applicant (verification code)"),
    ]
    keys = w.deps.audit_keys
    head = audit_head(case)
    assert head.count == 3
    assert verify(entries, keys=keys, scope=AUDIT_CHAIN, chain_id=case_id, head=head) is None
    bus = [AuditCheckpoint.model_validate(e.data) for e in w.store.checkpoints]
    assert [(cp.chain, cp.count) for cp in bus] == [
        (AUDIT_CHAIN, 1),
        (AUDIT_CHAIN, 2),
        (AUDIT_CHAIN, 3),
    ]
    assert check_against_bus(entries, head, bus, keys=keys) is None


async def test_a_rewritten_actor_or_a_cut_timeline_is_reported() -> None:
    w = Wiring()
    async with client(w) as c:
        case_id = await a_case_with_three_steps(w, c)
    case = w.store.cases[case_id]
    source = CaseTimelines(w.store)
    keys = w.deps.audit_keys
    bus = [AuditCheckpoint.model_validate(e.data) for e in w.store.checkpoints]
    report = await audit_chain(source, case_id, keys=keys, bus=bus)
    assert report is not None and report.broken is None

    timeline = list(case.timeline)
    timeline[1] = timeline[1].model_copy(update={"actor": "someone-else"})
    w.store.cases[case_id] = case.model_copy(update={"timeline": timeline})
    report = await audit_chain(source, case_id, keys=keys)
    assert report is not None and report.broken is not None
    assert report.lines()[0].startswith(f"intake case {case_id}: BROKEN at entry 2 (index 1)")

    w.store.cases[case_id] = case.model_copy(update={"timeline": case.timeline[:2]})
    report = await audit_chain(source, case_id, keys=keys)
    assert report is not None and report.broken is not None
    assert "the last 1 entries were removed" in report.broken.reason
