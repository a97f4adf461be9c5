"""An officer fetching an uploaded material (services/approval/domain/materials.py): only the
officers working the case may (403 naming why otherwise), and each fetch is on the timeline
with who, which material, its upload and hash, and the officer's department. The case comes
from approval's real handlers on fakes."""

from __future__ import annotations

import pytest

from services.approval.domain.audit import AuditRecord
from services.approval.domain.materials import record_download
from services.approval.domain.model import Forbidden
from shared.calendar import load_default_calendar
from tests.unit.approval.approval_fakes import MONDAY_10, make_deps
from tests.unit.approval.test_approval_archive import UPLOAD, UPLOAD_ID
from tests.unit.approval.test_approval_workflow import HANDLER, officer, submit

CAL = load_default_calendar()


async def test_a_fetch_is_recorded_with_who_what_and_the_hash() -> None:
    case = await submit(make_deps(), materials=[UPLOAD])
    tr, material = record_download(case, "licence_form", HANDLER, now=MONDAY_10, calendar=CAL)
    assert material.upload_id == UPLOAD_ID
    assert tr.audit == [
        AuditRecord(
            action="material_downloaded",
            actor="h-1",
            detail={
                "material": "licence_form",
                "upload_id": UPLOAD_ID,
                "sha256": UPLOAD.sha256,
                "department": HANDLER.department,
            },
        )
    ]
    assert tr.case.version == case.version  # reading changes nothing an officer acts on


async def test_an_officer_of_another_department_may_not_fetch() -> None:
    case = await submit(make_deps(), materials=[UPLOAD])
    outsider = officer("x-1", "handler", "500000-ZJW")
    with pytest.raises(Forbidden) as exc:
        record_download(case, "licence_form", outsider, now=MONDAY_10, calendar=CAL)
    assert str(exc.value) == "only the officers working this case may read its materials"
