"""An officer fetches an uploaded material: a short-lived download URL, given only once the
fetch is on the case's audit-chained timeline with the officer."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from services.approval.domain import NotFound, Officer, StaleVersion
from services.approval.domain.materials import file_name, record_download
from services.approval.handlers.deps import Deps
from services.approval.handlers.transitions import audited
from shared.objectstore import material_key

log = logging.getLogger(__name__)

ATTEMPTS = 3  # a concurrent action or fetch moved the chain: read the case again


async def material_download(
    deps: Deps, *, case_id: str, code: str, officer: Officer
) -> dict[str, Any]:
    for attempt in range(1, ATTEMPTS + 1):
        case = await deps.store.get(case_id)
        if case is None:
            raise NotFound(f"no case {case_id}")
        now = deps.clock.now()
        tr, material = record_download(case, code, officer, now=now, calendar=deps.calendar)
        assert material.upload_id is not None  # record_download refuses a material without one
        ttl = timedelta(seconds=deps.settings.download_url_ttl_s)
        url = await deps.objects.presign_get(
            material_key(material.upload_id), expires=ttl, filename=file_name(case, material)
        )
        entries, envelopes = audited(deps, tr, case, None)
        try:
            await deps.store.update(tr.case, case.version, entries, envelopes)
        except StaleVersion:
            if attempt == ATTEMPTS:
                raise
            continue
        deps.wake()
        log.info("case %s: %s fetched material %s", case_id, officer.subject, code)
        return {
            "case_id": case_id,
            "material": material.model_dump(mode="json"),
            "url": url,
            "expires_at": (now + ttl).isoformat(),
            "timeline_seq": tr.case.audit_seq,
        }
    raise AssertionError("unreachable")
