"""Issue 20: a decision issues its notice as a PDF next to the materials; the event refers to
it by key and hash alone, the case lists it, the timeline records it; a store that does not
answer refuses the decision (503 to the officer) rather than deciding without a notice."""

from __future__ import annotations

import hashlib

import httpx
import pypdfium2 as pdfium
import pytest

from services.approval.bootstrap import create_api
from services.approval.domain import Action
from services.approval.handlers import Deps
from shared.documents import render_document
from shared.objectstore import ObjectStoreUnavailable, document_key
from tests.support.fake_objects import FakeObjectStore
from tests.support.tokens import lasting_token
from tests.unit.approval.approval_fakes import DEPT, make_deps
from tests.unit.approval.test_approval_workflow import (
    APPROVER,
    HANDLER,
    REVIEWER,
    do,
    signed,
    store,
    submit,
)


def objects(deps: Deps) -> FakeObjectStore:
    assert isinstance(deps.objects, FakeObjectStore)
    return deps.objects


def text_of(data: bytes) -> str:
    return "".join(p.get_textpage().get_text_range() for p in pdfium.PdfDocument(data))


async def to_decision(deps: Deps) -> None:
    await submit(deps)
    await signed(deps, "C1", "prereview", Action.PASS, HANDLER)
    await signed(deps, "C1", "accept", Action.ACCEPT, HANDLER)
    await signed(deps, "C1", "review", Action.PASS, REVIEWER)


async def test_an_approval_stores_its_notice_and_the_event_refers_to_it_by_hash() -> None:
    deps = make_deps(render=render_document)  # the real PDF: the test reads it
    await to_decision(deps)
    case = await signed(deps, "C1", "decide", Action.APPROVE, APPROVER)

    key = document_key("C1", "decision-approved")
    pdf = objects(deps).objects[key]
    assert objects(deps).types[key] == "application/pdf"
    assert "EL-500000-SCJ-001-C1" in text_of(pdf) and "C1" in text_of(pdf)
    [decided] = store(deps).events("case.decided")
    assert decided.data["document"] == {
        "key": key,
        "sha256": hashlib.sha256(pdf).hexdigest(),
        "size": len(pdf),
    }
    assert [(d.name, d.sha256) for d in case.documents] == [
        ("decision-approved", hashlib.sha256(pdf).hexdigest())
    ]
    issued = [e for e in store(deps).entries["C1"] if e["action"] == "document_issued"]
    assert issued[0]["detail"]["key"] == key


async def test_a_denial_stores_a_denial_notice_with_its_reasons() -> None:
    deps = make_deps(render=render_document)  # the real PDF: the test reads it
    await to_decision(deps)
    await signed(
        deps,
        "C1",
        "decide",
        Action.DENY,
        APPROVER,
        reasons=["场所不符合要求"],
        legal_basis="《食品经营许可管理办法》第十二条",
    )
    pdf = objects(deps).objects[document_key("C1", "decision-denied")]
    assert "C1" in text_of(pdf)
    [decided] = store(deps).events("case.decided")
    assert decided.data["document"]["key"] == document_key("C1", "decision-denied")
    # no personal data in the event beyond the reference
    assert "applicant" not in decided.data


async def test_a_store_that_does_not_answer_refuses_the_decision() -> None:
    deps = make_deps()
    await to_decision(deps)
    objects(deps).down = True
    with pytest.raises(ObjectStoreUnavailable):
        await signed(deps, "C1", "decide", Action.APPROVE, APPROVER)
    case = await deps.store.get("C1")
    assert case is not None and case.decision is None
    assert store(deps).events("case.decided") == []


async def test_over_http_a_store_that_does_not_answer_is_a_503_with_a_retry_hint() -> None:
    deps = make_deps()
    await to_decision(deps)
    await do(deps, "C1", "decide", Action.SIGN_IN, APPROVER)
    objects(deps).down = True
    token = lasting_token(
        deps.settings, subject="a-1", roles=["approver"], department=DEPT, region="500000"
    )
    case = await deps.store.get("C1")
    assert case is not None
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(create_api(deps)), base_url="http://a"
    ) as c:
        r = await c.post(
            "/v1/cases/C1/stages/decide/approve",
            json={"version": case.version},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert r.status_code == 503 and r.headers["Retry-After"] == "30", r.text
    assert "object store" in r.json()["detail"]
