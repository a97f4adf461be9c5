"""Who may do what and read what (services/approval/domain/access.py, materials.py), on the
domain with a case from approval's real handlers on fakes: nobody acts on the case's own limits,
on a closed stage or on an owed-materials stage (the applicant supplies it), an officer of any
department with a stage of the case may fetch its materials, a fetched file is named after the
case and the material with an extension for its type (`.bin` when unknown), a material that is
missing or has no file is a 404 naming which, and a refused input reads "field: message"."""

from __future__ import annotations

import pytest

from services.approval.domain import Action, Case, InvalidAction, NotFound
from services.approval.domain.access import allowed_actions, base_actions
from services.approval.domain.materials import file_name, may_read_materials, uploaded_material
from services.approval.domain.model import MaterialRef
from services.approval.domain.stages import Transition, close_stage, open_stage
from shared.calendar import Limit, load_default_calendar
from shared.contracts import StageKind
from tests.unit.approval.approval_fakes import DEPT, MONDAY_10, make_deps
from tests.unit.approval.test_approval_archive import UPLOAD
from tests.unit.approval.test_approval_workflow import (
    HANDLER,
    PARALLEL_DEPTS,
    officer,
    parallel_plan,
    signed,
    submit,
)

CAL = load_default_calendar()


async def accepted() -> Case:
    deps = make_deps()
    await submit(deps, materials=[UPLOAD])
    await signed(deps, "C1", "prereview", Action.PASS, HANDLER)
    return await signed(deps, "C1", "accept", Action.ACCEPT, HANDLER)


async def test_nobody_acts_on_the_cases_own_limits_or_on_a_closed_stage() -> None:
    case = await accepted()
    assert allowed_actions(case, case.stages["C1:case_promised"]) == []
    assert allowed_actions(case, case.stages["C1:case_statutory"]) == []
    closed = case.stages["C1:accept"]
    assert closed.assignee == "h-1" and not closed.is_active
    assert allowed_actions(case, closed) == []


async def test_an_owed_materials_stage_offers_an_officer_nothing_to_do() -> None:
    case = await accepted()
    tr = Transition(case=case, now=MONDAY_10, calendar=CAL)
    owed = open_stage(
        tr,
        stage_id="C1:owed_materials",
        kind=StageKind.OWED_MATERIALS,
        name="容缺材料",
        department=DEPT,
        limit=Limit(value=10),
        required_role="handler",
        assignee="h-1",
    )
    assert base_actions(case, owed) == []
    close_stage(tr, owed, "completed", officer=None)
    assert base_actions(case, owed) == []


async def test_an_officer_of_a_department_with_a_sub_task_may_read_the_materials() -> None:
    deps = make_deps()
    case = await submit(deps, stage_plan=parallel_plan("all"))
    await signed(deps, "C1", "prereview", Action.PASS, HANDLER)
    case = await signed(deps, "C1", "accept", Action.ACCEPT, HANDLER)
    other = PARALLEL_DEPTS[1]
    assert other != case.department and any(s.department == other for s in case.stages.values())
    assert may_read_materials(case, officer("r-2", "reviewer", other))


async def test_a_fetched_file_is_named_after_the_case_and_the_material() -> None:
    case = await accepted()
    [material] = case.materials
    assert file_name(case, material) == "C1-licence_form.pdf"
    unknown = MaterialRef(code="scan", form="upload", upload_id="up-1", media_type="image/tiff")
    untyped = MaterialRef(code="scan", form="upload", upload_id="up-1")
    assert file_name(case, unknown) == file_name(case, untyped) == "C1-scan.bin"


async def test_a_missing_material_or_file_is_not_found_naming_which() -> None:
    case = await accepted()
    with pytest.raises(NotFound) as missing:
        uploaded_material(case, "id_card")
    assert str(missing.value) == "case C1 has no material 'id_card'"
    case.materials.append(MaterialRef(code="promise", form="commitment"))
    with pytest.raises(NotFound) as no_file:
        uploaded_material(case, "promise")
    assert str(no_file.value) == "material 'promise' of case C1 has no uploaded file"


def test_a_refused_input_reads_as_field_and_message() -> None:
    refused = InvalidAction("reasons", "a refusal or denial needs reasons")
    assert str(refused) == "reasons: a refusal or denial needs reasons"
