"""Issue 20: an issued e-licence is a PDF next to the materials, referred to from
licence.issued by key and hash alone; the submitted case carries the item's retention (the
catalog's, else 30 years for a licence item and 10 for others)."""

from __future__ import annotations

import hashlib

import pypdfium2 as pdfium
from prometheus_client import REGISTRY

from services.intake.domain.catalog import DEFAULT_RETENTION_YEARS, LICENCE_RETENTION_YEARS
from services.intake.domain.licences import LicenceStatus
from services.intake.handlers.licences import issue_owed_licence_documents
from services.intake.handlers.tracking import view_of
from shared.contracts import CaseSubmitted, LicenceIssued, LicenceRevoked
from shared.documents import render_document
from shared.objectstore import document_key
from tests.unit.intake.intake_fakes import T0, Wiring
from tests.unit.intake.test_intake_licences import ENTITY, decision, food_licence
from tests.unit.intake.test_intake_tracking_ratings import deliver


def text_of(data: bytes) -> str:
    return "".join(p.get_textpage().get_text_range() for p in pdfium.PdfDocument(data))


async def test_an_issued_licence_is_stored_as_pdf_and_the_event_refers_to_it() -> None:
    w = Wiring(render=render_document)  # the real PDF: the test reads it
    async with w.client() as c:
        case_id = (await c.post("/v1/cases", json=food_licence())).json()["case_id"]
    ref = f"EL-500000-SCJ-002-{case_id}"
    await deliver(w, decision(case_id, "approved", ref), "d-1")
    await deliver(w, decision(case_id, "approved", ref), "d-1")  # redelivered: same object

    key = document_key(case_id, f"licence-{ref}")
    pdf = w.objects.objects[key]
    assert ref in text_of(pdf) and ENTITY in text_of(pdf)
    [issued] = w.store.events_of(LicenceIssued.event_type)
    assert issued.data["document"] == {
        "key": key,
        "sha256": hashlib.sha256(pdf).hexdigest(),
        "size": len(pdf),
    }


async def test_a_denial_stores_no_licence() -> None:
    w = Wiring()
    async with w.client() as c:
        case_id = (await c.post("/v1/cases", json=food_licence())).json()["case_id"]
    await deliver(w, decision(case_id, "denied", None), "d-1")
    assert not [k for k in w.objects.objects if k.startswith("documents/")]


def owed_metrics() -> tuple[float | None, float | None]:
    return (
        REGISTRY.get_sample_value("egov_intake_licence_documents_owed"),
        REGISTRY.get_sample_value("egov_intake_licence_document_owed_oldest_seconds"),
    )


async def test_a_store_that_does_not_answer_delays_the_pdf_not_the_decision() -> None:
    w = Wiring()
    async with w.client() as c:
        case_id = (await c.post("/v1/cases", json=food_licence())).json()["case_id"]
    ref = f"EL-500000-SCJ-002-{case_id}"
    w.objects.down = True
    await deliver(w, decision(case_id, "approved", ref), "d-1")  # no exception: not retried

    case = w.store.cases[case_id]  # the decision, the registry and the applicant's view
    assert (case.status, case.decision) == ("decided", "approved")
    assert (await w.store.get_licence(ref)) is not None
    assert view_of(w.deps, case)["licence"]["licence_ref"] == ref
    assert w.store.events_of(LicenceIssued.event_type) == []  # announced with its PDF

    w.clock.advance(600)
    assert await issue_owed_licence_documents(w.deps) == 0  # still down: owed, and for how long
    assert owed_metrics() == (1.0, 600.0)

    w.objects.down = False
    w.clock.advance(60)
    assert await issue_owed_licence_documents(w.deps) == 1
    assert await issue_owed_licence_documents(w.deps) == 0  # once
    await deliver(w, decision(case_id, "approved", ref), "d-1")  # a redelivery owes nothing
    assert owed_metrics() == (0.0, 0.0)
    key = document_key(case_id, f"licence-{ref}")
    pdf = w.objects.objects[key]
    [issued] = w.store.events_of(LicenceIssued.event_type)
    assert issued.data["document"]["sha256"] == hashlib.sha256(pdf).hexdigest()
    assert LicenceIssued.model_validate(issued.data).issued_at == T0  # the same bytes
    assert w.store.cases[case_id].licence_document_owed_since is None


async def test_the_submitted_case_carries_the_items_retention() -> None:
    w = Wiring()
    async with w.client() as c:
        assert (await c.post("/v1/cases", json=food_licence())).status_code == 201
    [submitted] = w.store.events_of(CaseSubmitted.event_type)
    assert submitted.data["retention_years"] == LICENCE_RETENTION_YEARS
    item = await w.store.get_item("510100-GJJ-001")  # an item that issues no licence
    assert item is not None and item.issues_licence is None
    assert item.retention == DEFAULT_RETENTION_YEARS
    assert item.model_copy(update={"retention_years": 50}).retention == 50


async def test_an_outage_stops_the_sweep_at_the_first_pdf_and_counts_the_rest() -> None:
    w = Wiring()
    w.objects.down = True
    async with w.client() as c:
        for _ in range(3):
            case_id = (await c.post("/v1/cases", json=food_licence())).json()["case_id"]
            ref = f"EL-500000-SCJ-002-{case_id}"
            await deliver(w, decision(case_id, "approved", ref), f"d-{case_id}")
    tried: list[str] = []
    put = w.objects.put

    async def counted(key: str, data: bytes, *, content_type: str) -> None:
        tried.append(key)
        await put(key, data, content_type=content_type)

    w.objects.put = counted  # type: ignore[method-assign]
    w.clock.advance(120)
    assert await issue_owed_licence_documents(w.deps) == 0
    assert len(tried) == 1 and owed_metrics() == (3.0, 120.0)  # one render, not three
    w.objects.down = False
    assert await issue_owed_licence_documents(w.deps) == 3
    assert len(w.store.events_of(LicenceIssued.event_type)) == 3


async def test_a_licence_revoked_while_its_pdf_is_owed_is_never_announced() -> None:
    """licence.issued waits for the PDF: a revocation before it must not leave the bus with
    a licence.revoked, then a licence.issued for the same licence once the store is back."""
    w = Wiring()
    async with w.client() as c:
        case_id = (await c.post("/v1/cases", json=food_licence())).json()["case_id"]
    ref = f"EL-500000-SCJ-002-{case_id}"
    w.objects.down = True
    await deliver(w, decision(case_id, "approved", ref), "d-1")
    await deliver(w, decision(case_id, "revoked", ref, T0.replace(day=20)), "d-2")
    w.objects.down = False
    assert await issue_owed_licence_documents(w.deps) == 0
    assert w.store.events_of(LicenceIssued.event_type) == []
    assert w.store.events_of(LicenceRevoked.event_type) == []
    case = w.store.cases[case_id]
    assert case.licence_document_owed_since is None and case.licence_document is None
    registered = await w.store.get_licence(ref)  # the registry knows it revoked: never reused
    assert registered is not None and registered.status is LicenceStatus.REVOKED
    assert owed_metrics() == (0.0, 0.0)
