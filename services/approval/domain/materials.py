"""Officers read what they judge: who may fetch a case's uploaded materials, and the timeline
entry every fetch leaves (chained like every other entry by the handlers)."""

from __future__ import annotations

from datetime import datetime

from services.approval.domain.inputs import Officer
from services.approval.domain.model import Case, Forbidden, MaterialRef, NotFound
from services.approval.domain.stages import Transition
from services.approval.domain.timing import Calendar
from shared.roles import Role

# The officers who work a case's tasks; supervision and inspection watch the clock, not files.
READING_ROLES = frozenset(
    {Role.HANDLER, Role.REVIEWER, Role.APPROVER, Role.SECTION_CHIEF, Role.DEPARTMENT_HEAD}
)
EXTENSIONS = {
    "application/pdf": "pdf",
    "image/jpeg": "jpg",
    "image/png": "png",
    "application/ofd": "ofd",
}


def may_read_materials(case: Case, officer: Officer) -> bool:
    """An officer of a working role, of a department with a stage of the case (or the case's
    own), in the case's region."""
    departments = {s.department for s in case.stages.values()} | {case.department}
    return (
        bool(officer.roles & READING_ROLES)
        and officer.region == case.region
        and officer.department in departments
    )


def uploaded_material(case: Case, code: str) -> MaterialRef:
    material = next((m for m in case.materials if m.code == code), None)
    if material is None:
        raise NotFound(f"case {case.case_id} has no material {code!r}")
    if material.upload_id is None:
        raise NotFound(f"material {code!r} of case {case.case_id} has no uploaded file")
    return material


def record_download(
    case: Case, code: str, officer: Officer, *, now: datetime, calendar: Calendar
) -> tuple[Transition, MaterialRef]:
    """The material an officer may fetch and the transition recording who fetched it (the case's
    version stays: reading changes nothing an officer acts on)."""
    if not may_read_materials(case, officer):
        raise Forbidden("only the officers working this case may read its materials")
    material = uploaded_material(case, code)
    tr = Transition(case=case.model_copy(deep=True), now=now, calendar=calendar)
    tr.record(
        "material_downloaded",
        officer.subject,
        material=code,
        upload_id=material.upload_id,
        sha256=material.sha256,
        department=officer.department,
    )
    return tr, material


def file_name(case: Case, material: MaterialRef) -> str:
    extension = EXTENSIONS.get(material.media_type or "", "bin")
    return f"{case.case_id}-{material.code}.{extension}"
