"""E-licences on the real broker and database (issue 19): an approval decided on egov.stages
issues a licence that intake publishes on egov.licences and keeps in its registry; a later
application is not asked for the material the licence proves; a revocation ends that."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from services.intake.domain.licences import LicenceStatus
from services.intake.handlers.licences import issue_owed_licence_documents
from services.intake.settings import IntakeSettings
from shared.contracts import (
    T_CASES,
    T_LICENCES,
    CaseDecided,
    CaseSubmitted,
    LicenceIssued,
    LicenceRevoked,
    make_envelope,
)
from shared.objectstore.s3 import S3ObjectStore
from tests.integration.intake import test_intake_stack as base
from tests.integration.intake.test_intake_stack import (
    UPLOAD,
    Stack,
    admin_headers,
    envelope_of,
    of_type,
)

pytestmark = pytest.mark.integration

stack = base.stack  # the intake stack fixture of that module, started afresh for this one

ENTITY = "91310000000000019Q"  # holds the reference business licence of catalog/elicences.yaml
DEAD_STORE = IntakeSettings(object_store_url="http://127.0.0.1:9", object_store_timeout_s=1.0)
APPLICANT = {"kind": "entity", "id_number": ENTITY, "name": "上海某某有限公司"}


def food_licence() -> dict[str, Any]:
    return {
        "item_code": "500000-SCJ-002",
        "applicant": APPLICANT,
        "materials": [  # no business licence: the registry proves it
            {"code": c, **UPLOAD}
            for c in ("id_card", "application_form", "layout", "food_safety_rules")
        ],
        "receiving_region": "500000",
    }


async def decide(stack: Stack, case_id: str, decision: str, ref: str) -> None:
    data = CaseDecided(
        case_id=case_id,
        decision=decision,  # type: ignore[arg-type]
        reasons=["承诺内容与实际不符"] if decision == "revoked" else [],
        licence_ref=ref,
        department="500000-SCJ",
        item_code="500000-SCJ-002",
        region="500000",
        decided_at=datetime.now(UTC),
    )
    env = make_envelope(data, source="/egov/approval", time=datetime.now(UTC))
    await stack.service.infra.publisher.publish(env)


async def registry_status(stack: Stack, ref: str, wanted: LicenceStatus) -> bool:
    """The registry entry reaches ``wanted`` (it is written right after the case change whose
    event the test read)."""
    for _ in range(50):
        stored = await stack.service.deps.store.get_licence(ref)
        if stored is not None and stored.status is wanted:
            return True
        await asyncio.sleep(0.1)
    return False


async def item_needing_the_food_licence(stack: Stack) -> str:
    base = (await stack.http.get("/v1/catalog/items/500000-SCJ-003")).json()
    code = f"500000-SCJ-{uuid.uuid4().int % 900 + 100}"
    food = {
        "code": "food_licence",
        "name": "食品经营许可证",
        "forms": ["elicense"],
        "licence_type": "food_business_licence",
    }
    item = {**base, "code": code, "name": "集成测试：需要食品经营许可证的事项"}
    item["materials"] = [*base["materials"], food]
    r = await stack.http.post("/v1/catalog/items", json=item, headers=admin_headers(stack))
    assert r.status_code == 201, r.text
    return code


async def test_a_licence_issued_on_approval_is_published_reused_and_revoked(stack: Stack) -> None:
    created = (await stack.http.post("/v1/cases", json=food_licence())).json()
    case_id = created["case_id"]
    ref = f"EL-500000-SCJ-002-{case_id}"
    await decide(stack, case_id, "approved", ref)
    [issued] = await stack.read(T_LICENCES, of_type(LicenceIssued.event_type, case_id))
    data = LicenceIssued.model_validate(envelope_of(issued).data)
    assert (data.licence_ref, data.holder, data.licence_type) == (
        ref,
        ENTITY,
        "food_business_licence",
    )
    assert data.valid_until is not None and data.valid_until.year == data.valid_from.year + 5
    assert issued.key == case_id.encode()
    assert await registry_status(stack, ref, LicenceStatus.VALID)

    code = await item_needing_the_food_licence(stack)
    body = {
        "item_code": code,
        "applicant": APPLICANT,
        "materials": [{"code": c, **UPLOAD} for c in ("id_card", "application_form")],
        "receiving_region": "500000",
    }
    reused = await stack.http.post("/v1/cases", json=body)
    assert reused.status_code == 201, reused.text
    [event] = await stack.read(T_CASES, of_type(CaseSubmitted.event_type, reused.json()["case_id"]))
    filled = {m["code"]: m for m in envelope_of(event).data["materials"]}["food_licence"]
    assert filled["verified_from_licence"] and filled["licence_ref"] == ref

    await decide(stack, case_id, "revoked", ref)
    [revoked] = await stack.read(T_LICENCES, of_type(LicenceRevoked.event_type, case_id))
    assert envelope_of(revoked).data["licence_ref"] == ref
    assert await registry_status(stack, ref, LicenceStatus.REVOKED)
    refused = await stack.http.post("/v1/cases", json=body)
    assert refused.status_code == 422 and "food_licence" in refused.text


async def test_a_decision_is_recorded_while_the_store_is_down_and_its_pdf_stored_after(
    stack: Stack,
) -> None:
    """The object store does not answer (the real S3 adapter, pointed at a closed port): the
    approval, the registry and the applicant's view do not wait for it; the licence's PDF and
    licence.issued follow once it answers, once."""
    case_id = (await stack.http.post("/v1/cases", json=food_licence())).json()["case_id"]
    ref = f"EL-500000-SCJ-002-{case_id}"
    deps = stack.service.deps
    live, dead = deps.objects, S3ObjectStore(DEAD_STORE)
    deps.objects = dead
    try:
        await decide(stack, case_id, "approved", ref)
        assert await registry_status(stack, ref, LicenceStatus.VALID)
        case = await deps.store.get_case(case_id)
        assert case is not None and case.decision == "approved"
        assert case.licence_document_owed_since is not None and case.licence_document is None
    finally:
        deps.objects = live
        await dead.aclose()
    for _ in range(20):  # the sweep again, the store back (the service's own may come first)
        await issue_owed_licence_documents(deps)
        case = await deps.store.get_case(case_id)
        if case is not None and case.licence_document is not None:
            break
    [issued] = await stack.read(T_LICENCES, of_type(LicenceIssued.event_type, case_id))
    document = LicenceIssued.model_validate(envelope_of(issued).data).document
    assert document is not None and case is not None and case.licence_document == document
    data = b"".join([chunk async for chunk in live.read(document.key)])
    assert hashlib.sha256(data).hexdigest() == document.sha256
