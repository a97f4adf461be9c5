"""A bundle (一件事) applied for by another system on its ingress topic: the same cases, the
same bundle and clock as POST /v1/bundles, idempotent by the publisher's own reference,
refused to the dead-letter topic with its reason when invalid."""

from __future__ import annotations

from typing import Any

import pytest

from services.intake.handlers import bind
from shared.contracts import (
    BundleSubmissionReceived,
    CaseSubmitted,
    Envelope,
    StageOpened,
    make_envelope,
)
from shared.kafka import PermanentError
from tests.unit.intake.intake_fakes import T0, Wiring
from tests.unit.intake.test_intake_bundles import (
    LICENCE,
    SEAL,
    SOCIAL,
    TAX,
    apply,
    opening_a_business,
    submitted,
)


def external(external_id: str, **changes: Any) -> tuple[Envelope, BundleSubmissionReceived]:
    body = opening_a_business()
    data = BundleSubmissionReceived.model_validate(
        {
            "external_id": external_id,
            "source_system": "whatever the payload claims",
            "applicant": body["applicant"],
            "contact": body["contact"],
            "bundle_code": body["bundle_code"],
            "form": body["form"],
            "materials": body["materials"],
            "channel": "app",
            "receiving_region": "500000",
            "submitted_at": T0.isoformat(),
            **changes,
        }
    )
    return make_envelope(data, source="/external/cq-mobile-app", time=T0), data


async def deliver(w: Wiring, envelope: Envelope, data: BundleSubmissionReceived) -> None:
    await bind(w.deps)[data.event_type](envelope, data)


async def test_a_bundle_from_the_bus_creates_what_the_http_submission_creates_once() -> None:
    w = Wiring()
    envelope, data = external("APP-1")
    await deliver(w, envelope, data)
    again, data2 = external("APP-1")  # republished under a new event id
    await deliver(w, again, data2)
    [app] = w.bundles.applications.values()
    assert app.bundle_code == "500000-YJS-001" and app.verification_hash is None
    assert len(w.store.cases) == 4
    cases = {c.item_code: c for c in w.store.cases.values()}
    assert [cases[c].status for c in (SEAL, TAX, SOCIAL)] == ["held"] * 3
    # known by the authenticated publisher, not by what the payload claims
    assert all(c.external_ref == "cq-mobile-app/APP-1" for c in cases.values())
    assert w.store.external[("cq-mobile-app", "APP-1")] == app.bundle_id
    [licence] = submitted(w).values()
    assert licence.item_code == LICENCE and licence.bundle_id == app.bundle_id
    assert licence.external_ref == "cq-mobile-app/APP-1"
    [clock] = [
        StageOpened.model_validate(e.data) for e in w.store.events_of(StageOpened.event_type)
    ]
    assert clock.case_id == app.bundle_id and clock.opened_at == T0
    # the same as the HTTP submission of the same application
    http = Wiring()
    r = await apply(http, opening_a_business(channel="app"))
    assert r.status_code == 201, r.text
    [twin] = http.bundles.applications.values()
    keep = {"bundle_code", "items", "due_at", "lead_department", "promised_limit"}
    assert app.model_dump(include=keep) == twin.model_dump(include=keep)
    assert submitted(w)[LICENCE].materials == submitted(http)[LICENCE].materials


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"bundle_code": "500000-YJS-098"}, "unknown bundle"),
        ({"channel": "bank_branch"}, "channel"),
        ({"form": {"company_name": "x", "unasked": 1}}, "form.unasked"),
        ({"materials": []}, "items.500000-SCJ-001.materials"),
        ({"contact": {"phone": "12345"}}, "contact.phone"),
        ({"applicant": {"kind": "person", "id_number": "123", "name": "x"}}, "applicant"),
    ],
)
async def test_an_invalid_bundle_submission_is_dead_lettered_with_its_reason(
    changes: dict[str, Any], reason: str
) -> None:
    w = Wiring()
    envelope, data = external("APP-2", **changes)
    with pytest.raises(PermanentError, match=reason):
        await deliver(w, envelope, data)
    assert w.bundles.applications == {} and w.store.cases == {}
    assert w.store.events_of(CaseSubmitted.event_type) == []
