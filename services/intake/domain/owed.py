"""Accept-with-gaps (容缺受理) carried through at intake: what a case still owes and by when
(counted on the shared calendar from acceptance), a later supply checked against it, and what
the applicant sees. Pure: time and the calendar are passed in."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.intake.domain.assessment import Assessment
from services.intake.domain.case import CaseRecord, TimelineEntry, local_text
from services.intake.domain.catalog import ServiceItem
from services.intake.domain.errors import Conflict, FieldError
from shared.calendar import Limit, WorkingCalendar
from shared.contracts.common import Material
from shared.contracts.owed import OwedMaterial, OwedMaterials


def owed_materials(
    item: ServiceItem, missing: list[str], *, accepted_at: datetime, calendar: WorkingCalendar
) -> OwedMaterials | None:
    """What a case accepted with gaps owes: the missing materials, due at the end of the item's
    N-th working day after acceptance (``gaps.supply_working_days``)."""
    if not missing:
        return None
    limit = Limit(value=item.gaps.supply_working_days)
    due_at = calendar.deadline(accepted_at, limit)
    return OwedMaterials(
        materials=[OwedMaterial(code=c, name=_name(item, c)) for c in missing],
        limit=limit,
        accepted_at=accepted_at,
        due_at=due_at,
        due_provisional=calendar.is_provisional(limit, accepted_at, due_at),
        hold=item.gaps.hold,
        on_lapse=item.gaps.on_lapse,
        credit_incident=item.gaps.credit_incident,
    )


def owed_at_acceptance(
    item: ServiceItem, assessment: Assessment, *, accepted_at: datetime, calendar: WorkingCalendar
) -> OwedMaterials | None:
    """What a submission accepted with gaps owes, from its acceptance (``accepted_at``); None
    when the item's rules did not accept it with gaps. The one rule for a lone case and for each
    item of a bundle."""
    if not assessment.gaps_used:
        return None
    return owed_materials(item, assessment.missing, accepted_at=accepted_at, calendar=calendar)


def remaining(case: CaseRecord) -> list[OwedMaterial]:
    if case.owed is None:
        return []
    return [m for m in case.owed.materials if m.code not in case.owed_supplied]


def still_owed(case: CaseRecord) -> OwedMaterials | None:
    """What the case owes now, its deadline unchanged: the material supplied while a bundle's
    item was held is not owed when it is released (approval hears of the case only then)."""
    left = remaining(case)
    if case.owed is None or not left:
        return None
    return case.owed.model_copy(update={"materials": left})


def supply_errors(
    case: CaseRecord, item: ServiceItem, given: list[Material], *, now: datetime
) -> list[FieldError]:
    """Each material supplied must be one still owed, once, in a form the item accepts; a case
    with nothing owed, decided, or past its deadline takes none (Conflict)."""
    owed = {m.code for m in remaining(case)}
    if case.owed is None or not owed:
        raise Conflict(
            f"case {case.case_id} owes no material", [FieldError("materials", "nothing is owed")]
        )
    # An approval may come before the material under a deliver hold; any other decision ends it.
    ended = case.decision is not None and case.decision != "approved"
    if ended or now > case.owed.due_at:
        message = f"the deadline to supply passed on {local_text(case.owed.due_at)}"
        if ended:
            message = f"the case was decided ({case.decision}); nothing can be supplied"
        raise Conflict(message, [FieldError("materials", message)])
    errors: list[FieldError] = []
    seen: set[str] = set()
    for i, material in enumerate(given):
        where = f"materials.{i}"
        spec = item.material(material.code)
        if material.code not in owed or spec is None or material.code in seen:
            still = ", ".join(sorted(owed))
            errors.append(FieldError(f"{where}.code", f"{material.code!r} is not owed ({still})"))
            continue
        seen.add(material.code)
        if material.form not in spec.forms:
            allowed = ", ".join(f.value for f in spec.forms)
            errors.append(FieldError(f"{where}.form", f"{spec.name} is accepted as {allowed} only"))
    return errors


def on_owed_supplied(case: CaseRecord, *, materials: list[Material], at: datetime) -> CaseRecord:
    supplied = [*case.owed_supplied, *(m.code for m in materials)]
    codes = {m.code for m in materials}
    names = "、".join(m.name for m in remaining(case) if m.code in codes)
    updated = case.model_copy(update={"owed_supplied": supplied})
    left = remaining(updated)
    text = f"已补齐容缺材料：{names}"
    if left:
        text += "；尚欠：" + "、".join(m.name for m in left)
    entry = TimelineEntry(at=at, kind="owed_supplied", text=text)
    return updated.with_entry(entry, materials=[*case.materials, *materials])


def owed_in_supplement(case: CaseRecord, materials: list[Material]) -> CaseRecord:
    """A supplement (补正) that brings owed material settles it too."""
    owed = {m.code for m in remaining(case)}
    arrived = [m.code for m in materials if m.code in owed]
    if not arrived:
        return case
    return case.model_copy(update={"owed_supplied": [*case.owed_supplied, *arrived]})


def owed_view(case: CaseRecord) -> dict[str, Any]:
    """What the tracking view shows of it: the materials still owed and the deadline."""
    owed = case.owed
    return {
        "owed": [m.model_dump(mode="json") for m in remaining(case)],
        "owed_due_at": owed.due_at.isoformat() if owed else None,
        "owed_due_provisional": owed.due_provisional if owed else False,
    }


def _name(item: ServiceItem, code: str) -> str:
    spec = item.material(code)
    return spec.name if spec else code
