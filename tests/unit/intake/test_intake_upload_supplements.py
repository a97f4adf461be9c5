"""A supplement (补正) names uploads under the same rules as a submission: verified, of the
case's applicant, claimed by the case; what approval hears is what intake measured."""

from __future__ import annotations

import hashlib

from services.intake.handlers import bind
from shared.contracts import CaseSupplemented, make_envelope
from tests.support.events import prereview_done
from tests.unit.intake.intake_fakes import T0, Wiring
from tests.unit.intake.upload_steps import OTHER, PDF, as_applicant, fields, submission, upload


async def test_a_supplement_names_only_its_applicants_verified_uploads() -> None:
    w = Wiring()
    me = as_applicant(w)
    async with w.client() as c:
        r = await c.post("/v1/cases", json=submission({"application_form": await upload(w, c, me)}))
        case_id = r.json()["case_id"]
        asked = prereview_done(
            case_id, reasons=["住所证明缺失"], requested_materials=["premises"], decided_at=T0
        )
        envelope = make_envelope(asked, source="/egov/approval", time=T0, id="ev-ask")
        await bind(w.deps)[asked.event_type](envelope, asked)
        theirs = await upload(w, c, as_applicant(w, OTHER, "李四"), material="premises")
        url = f"/v1/cases/{case_id}/supplements"
        named = {"code": "premises", "form": "upload"}
        r = await c.post(url, json={"materials": [named | {"upload_id": theirs}]}, headers=me)
        assert fields(r) == {"materials.0.upload_id": "no such upload of this applicant"}
        mine = await upload(w, c, me, material="premises")
        r = await c.post(url, json={"materials": [named | {"upload_id": mine}]}, headers=me)
        assert r.status_code == 200, r.text
    [event] = w.store.events_of(CaseSupplemented.event_type)
    [material] = CaseSupplemented.model_validate(event.data).materials
    assert (material.upload_id, material.sha256) == (mine, hashlib.sha256(PDF).hexdigest())
    assert w.uploads.uploads[mine].case_id == case_id
    assert w.uploads.uploads[theirs].case_id is None
