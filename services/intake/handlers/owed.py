"""Owed material (容缺受理) supplied after acceptance: by the applicant (token or verification
code) or by a window officer of the region that received the case; checked like a submission's
materials (verified uploads of the case's applicant), then published for approval."""

from __future__ import annotations

from typing import Any

from services.intake.domain import CaseRecord, Invalid, NotFound
from services.intake.domain.case import CaseStatus
from services.intake.domain.owed import on_owed_supplied, remaining, supply_errors
from services.intake.handlers.access import open_case
from services.intake.handlers.audit import applicant_actor
from services.intake.handlers.deps import SOURCE, Deps
from services.intake.handlers.eligibility import material_licence_errors
from services.intake.handlers.materials import (
    claim_materials,
    release_uploads,
    resolve_materials,
    upload_ids,
)
from services.intake.handlers.tracking import update_case, view_of
from shared.auth import Principal
from shared.contracts import (
    Envelope,
    Material,
    OwedMaterialsSupplied,
    derived_event_id,
    make_envelope,
)
from shared.roles import Role


def _window_officer(principal: Principal | None) -> bool:
    return principal is not None and principal.has_any(Role.HANDLER)


async def _case_for(
    deps: Deps, case_id: str, *, code: str | None, principal: Principal | None
) -> CaseRecord:
    """The applicant's own case, or one received in the window officer's region."""
    if _window_officer(principal):
        assert principal is not None
        case = await deps.store.get_case(case_id)
        if case is not None and case.receiving_region == principal.region:
            return case
        raise NotFound(f"no case {case_id} received in region {principal.region}")
    return await open_case(deps, case_id, code=code, principal=principal)


async def supply_owed(
    deps: Deps,
    case_id: str,
    given: list[Material],
    *,
    code: str | None,
    principal: Principal | None,
) -> dict[str, Any]:
    """``POST /v1/cases/{case}/owed-materials``: 422 naming the material that is not owed, in
    a form the item does not take or an upload not the applicant's; 409 once nothing is owed,
    the case is decided or its deadline passed."""
    case = await _case_for(deps, case_id, code=code, principal=principal)
    item = await deps.store.get_item(case.item_code)
    if item is None:
        raise NotFound(f"item {case.item_code} of case {case_id} is no longer in the catalog")
    now = deps.clock.now()
    errors = supply_errors(case, item, given, now=now)
    materials, upload_errors = await resolve_materials(
        deps, given, owner_id=case.applicant.id_number, item_code=case.item_code
    )
    licence = await material_licence_errors(
        deps, materials, holder=case.applicant.id_number, item=item
    )
    if errors or upload_errors or licence:
        raise Invalid("the owed material is not valid", [*errors, *upload_errors, *licence])
    await claim_materials(deps, materials, owner_id=case.applicant.id_number, case_id=case_id)

    def change(current: CaseRecord) -> CaseRecord:
        supply_errors(current, item, given, now=now)  # a concurrent supply got there first
        return on_owed_supplied(current, materials=materials, at=now)

    def events(updated: CaseRecord) -> list[Envelope]:
        if updated.status is CaseStatus.HELD:
            return []  # a bundle's held item: its release tells approval what is still owed
        data = OwedMaterialsSupplied(
            case_id=case_id,
            materials=materials,
            remaining=[m.code for m in remaining(updated)],
            supplied_at=now,
        )
        codes = ",".join(sorted(m.code for m in materials))
        key = derived_event_id("case.owed_supplied", case_id, codes)
        return [make_envelope(data, source=SOURCE, time=now, id=key)]

    actor = f"officer {principal.subject}" if _window_officer(principal) and principal else None
    try:
        updated = await update_case(
            deps, case_id, change, events, actor=actor or applicant_actor(principal)
        )
    except BaseException:
        await release_uploads(deps, upload_ids(materials), case_id)
        raise
    deps.wake()
    assert updated is not None
    return view_of(deps, updated)
