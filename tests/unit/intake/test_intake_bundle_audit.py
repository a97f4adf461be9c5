"""A bundle's own steps (its one rating, its rectification's answer) are a keyed audit chain
like a case's timeline (chain intake.bundle_application, one per bundle id): linked with who
acted, checkpointed on the bus, and reported broken when rewritten or cut."""

from __future__ import annotations

from services.intake.cli import BundleTimelines
from services.intake.handlers.audit import BUNDLE_AUDIT_CHAIN, bundle_audit_head
from shared.audit import check_against_bus, verify
from shared.audit.report import audit_chain
from shared.contracts import AuditCheckpoint
from tests.support.tokens import officer_headers
from tests.unit.intake.intake_fakes import Wiring
from tests.unit.intake.test_intake_bundle_rating import finished, rate


async def rated_and_answered(w: Wiring) -> str:
    body = await finished(w)
    code = {"X-Verification-Code": body["verification_code"]}
    r = await rate(w, body, {"level": "dissatisfied", "comment": "跑了两次"}, **code)
    assert r.status_code == 201, r.text
    lead = officer_headers(
        w.settings, subject="h-9", roles=["department_head"], department="500000-SCJ"
    )
    path = f"/v1/rectifications/{r.json()['rectification']['rectification_id']}/answer"
    async with w.client(signed_in=False) as c:
        answered = await c.post(path, json={"answer": "已优化联办流程"}, headers=lead)
    assert answered.status_code == 200, answered.text
    return str(body["bundle_id"])


def bundle_checkpoints(w: Wiring) -> list[AuditCheckpoint]:
    found = [AuditCheckpoint.model_validate(e.data) for e in w.store.checkpoints]
    return [cp for cp in found if cp.chain == BUNDLE_AUDIT_CHAIN]


async def test_the_bundle_rating_and_its_answer_are_chained_with_who_acted() -> None:
    w = Wiring()
    bundle_id = await rated_and_answered(w)
    app = w.bundles.applications[bundle_id]
    entries = [e.model_dump(mode="json") for e in app.timeline]
    assert [(e["seq"], e["kind"], e["actor"]) for e in entries] == [
        (1, "rated", "applicant (verification code)"),
        (2, "rectification_answered", "h-9"),
    ]
    head = bundle_audit_head(app)
    keys = w.deps.audit_keys
    assert head.count == 2
    assert (
        verify(entries, keys=keys, scope=BUNDLE_AUDIT_CHAIN, chain_id=bundle_id, head=head) is None
    )
    bus = bundle_checkpoints(w)
    assert [(cp.chain_id, cp.count) for cp in bus] == [(bundle_id, 1), (bundle_id, 2)]
    assert check_against_bus(entries, head, bus, keys=keys) is None


async def test_a_rewritten_or_cut_bundle_chain_is_reported() -> None:
    w = Wiring()
    bundle_id = await rated_and_answered(w)
    source = BundleTimelines(w.bundles)
    assert await source.chain_ids() == [bundle_id]
    keys = w.deps.audit_keys
    report = await audit_chain(source, bundle_id, keys=keys, bus=bundle_checkpoints(w))
    assert report is not None and report.broken is None
    app = w.bundles.applications[bundle_id]
    timeline = list(app.timeline)
    timeline[0] = timeline[0].model_copy(update={"text": "已评价：非常满意"})
    w.bundles.applications[bundle_id] = app.model_copy(update={"timeline": timeline})
    report = await audit_chain(source, bundle_id, keys=keys)
    assert report is not None and report.broken is not None
    assert report.lines()[0].startswith(f"bundle application {bundle_id}: BROKEN at entry 1")
    w.bundles.applications[bundle_id] = app.model_copy(update={"timeline": app.timeline[:1]})
    report = await audit_chain(source, bundle_id, keys=keys)
    assert report is not None and report.broken is not None
