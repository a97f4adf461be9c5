"""Accept-with-gaps rules of services/intake/domain/owed.py on the domain itself, on a case
accepted with gaps through the real API (tests/unit/intake/intake_fakes.py): what the timeline
tells when owed material arrives, part of it or all. Each test names the mutants of the
measured run (docs/mutation/services-intake-domain.md) it kills."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from services.intake.domain import CaseRecord
from services.intake.domain.errors import Conflict, FieldError
from services.intake.domain.owed import (
    on_owed_supplied,
    owed_materials,
    owed_view,
    remaining,
    still_owed,
    supply_errors,
)
from shared.calendar import load_default_calendar
from shared.clock import SHANGHAI
from shared.contracts import MaterialForm
from shared.contracts.common import Material
from shared.contracts.owed import OwedMaterial
from tests.unit.intake.intake_fakes import Wiring
from tests.unit.intake.upload_steps import as_applicant, submission, upload

PREMISES = "住所（经营场所）使用证明"


async def accepted_with_gaps(w: Wiring | None = None) -> CaseRecord:
    w = w or Wiring()
    me = as_applicant(w)
    async with w.client() as c:
        body = submission({"application_form": await upload(w, c, me)})
        r = await c.post("/v1/cases", json=body, headers=me)
    assert r.status_code == 201, r.text
    case = w.store.cases[str(r.json()["case_id"])]
    assert case.owed is not None and [m.code for m in case.owed.materials] == ["premises"]
    return case


def owing_two(case: CaseRecord) -> CaseRecord:
    """The same case owing a second material (the catalog's item owes one at most)."""
    assert case.owed is not None
    two = [*case.owed.materials, OwedMaterial(code="articles", name="公司章程")]
    return case.model_copy(update={"owed": case.owed.model_copy(update={"materials": two})})


def commitment(code: str) -> Material:
    return Material(code=code, form=MaterialForm.COMMITMENT, commitment_text="本人承诺材料真实")


async def test_the_timeline_names_what_arrived_and_what_is_still_owed() -> None:
    """Kills owed.x_on_owed_supplied__mutmut_3/_5/_7 (the names of what arrived: None, another
    separator, the others') and _12 to _20 (the "still owed" part, its names and separator)."""
    case = owing_two(await accepted_with_gaps())
    at = case.submitted_at + timedelta(days=1)
    part = on_owed_supplied(case, materials=[commitment("premises")], at=at)
    assert (part.timeline[-1].kind, part.timeline[-1].at) == ("owed_supplied", at)
    assert part.timeline[-1].text == f"已补齐容缺材料：{PREMISES}；尚欠：公司章程"
    assert part.owed_supplied == ["premises"] and [m.code for m in remaining(part)] == ["articles"]
    assert part.materials == [*case.materials, commitment("premises")]

    rest = on_owed_supplied(part, materials=[commitment("articles")], at=at)
    assert rest.timeline[-1].text == "已补齐容缺材料：公司章程"
    assert remaining(rest) == []

    assert case.owed is not None  # owing premises and articles; and now an ID card too
    extra = OwedMaterial(code="id_card", name="身份证")
    owes = case.owed.model_copy(update={"materials": [*case.owed.materials, extra]})
    three = case.model_copy(update={"owed": owes})
    first = on_owed_supplied(three, materials=[commitment("premises")], at=at)
    assert first.timeline[-1].text == f"已补齐容缺材料：{PREMISES}；尚欠：公司章程、身份证"

    both = on_owed_supplied(case, materials=[commitment("articles"), commitment("premises")], at=at)
    assert both.timeline[-1].text == f"已补齐容缺材料：{PREMISES}、公司章程"  # in owed order


async def test_a_case_that_owes_nothing_more_takes_nothing_naming_the_field() -> None:
    """Everything supplied: a further supply is a 409 saying so, with the field. Kills
    owed.x_supply_errors__mutmut_6 (no message), _11/_16/_17 (the field's message)."""
    w = Wiring()
    case = await accepted_with_gaps(w)
    item = w.store.items[case.item_code]
    settled = on_owed_supplied(case, materials=[commitment("premises")], at=case.submitted_at)
    with pytest.raises(Conflict) as refused:
        supply_errors(settled, item, [commitment("premises")], now=settled.submitted_at)
    assert refused.value.message == f"case {case.case_id} owes no material"
    assert refused.value.errors == (FieldError("materials", "nothing is owed"),)


async def test_the_owed_material_is_taken_up_to_the_due_instant_itself() -> None:
    """The deadline is the end of the N-th working day (23:59:59): a supply at that very
    instant is in time, a microsecond later it is not. Kills owed.x_supply_errors__mutmut_25
    (`now >= due_at`)."""
    w = Wiring()
    case = await accepted_with_gaps(w)
    item = w.store.items[case.item_code]
    assert case.owed is not None
    due = case.owed.due_at
    assert supply_errors(case, item, [commitment("premises")], now=due) == []
    with pytest.raises(Conflict, match="the deadline to supply passed"):
        supply_errors(case, item, [commitment("premises")], now=due + timedelta(microseconds=1))


async def test_every_material_of_a_supply_is_checked_each_once_naming_what_is_owed() -> None:
    """One supply, four materials: one not owed, one owed, the same again, one in a form its
    item does not take; each refusal names its field, what is still owed and the forms taken.
    Kills owed.x_supply_errors__mutmut_45/_60 (the second copy taken), _52 (the list of what
    is owed), _59 (`break`: the materials after a refused one unchecked), _64 (the forms)."""
    w = Wiring()
    case = await accepted_with_gaps(w)
    item = w.store.items[case.item_code]
    id_card = item.material("id_card")
    assert id_card is not None and [f.value for f in id_card.forms] == ["upload", "elicense"]
    assert case.owed is not None
    extra = [
        OwedMaterial(code="articles", name="公司章程"),
        OwedMaterial(code="id_card", name="身份证"),
    ]
    owes = case.owed.model_copy(update={"materials": [*case.owed.materials, *extra]})
    case = case.model_copy(update={"owed": owes})
    given = [commitment("bogus"), commitment("premises"), commitment("premises")]
    given.append(commitment("id_card"))
    owed = "(articles, id_card, premises)"
    assert supply_errors(case, item, given, now=case.submitted_at) == [
        FieldError("materials.0.code", f"'bogus' is not owed {owed}"),
        FieldError("materials.2.code", f"'premises' is not owed {owed}"),
        FieldError("materials.3.form", f"{id_card.name} is accepted as upload, elicense only"),
    ]


async def test_what_is_still_owed_keeps_its_deadline_and_the_view_shows_it() -> None:
    """Part supplied: still owed is the rest, with the same deadline; all supplied or nothing
    ever owed: None. The tracking view shows the rest, the deadline and its provisional mark.
    Kills owed.x_still_owed__mutmut_1/_4/_6/_7/_8 and x_owed_view__mutmut_10/_11/_12."""
    case = owing_two(await accepted_with_gaps())
    assert case.owed is not None
    part = case.model_copy(update={"owed_supplied": ["premises"]})
    left = still_owed(part)
    assert left is not None
    assert [m.code for m in left.materials] == ["articles"]
    assert (left.due_at, left.limit) == (case.owed.due_at, case.owed.limit)
    assert still_owed(part.model_copy(update={"owed_supplied": ["premises", "articles"]})) is None
    never = case.model_copy(update={"owed": None, "owed_supplied": []})
    assert still_owed(never) is None
    assert owed_view(part) == {
        "owed": [{"code": "articles", "name": "公司章程"}],
        "owed_due_at": case.owed.due_at.isoformat(),
        "owed_due_provisional": case.owed.due_provisional,
    }
    assert owed_view(never) == {"owed": [], "owed_due_at": None, "owed_due_provisional": False}


def test_a_deadline_counted_into_a_year_without_an_official_schedule_is_provisional() -> None:
    """Accepted on 28 December 2026, the 10 working days run into 2027, whose schedule is not
    published yet: the deadline is provisional (recounted on publication); accepted in March,
    it is not. Kills owed.x_owed_materials__mutmut_21 (the mark dropped)."""
    item = Wiring().store.items["500000-SCJ-001"]
    calendar = load_default_calendar()
    december = datetime(2026, 12, 28, 10, tzinfo=SHANGHAI)
    late = owed_materials(item, ["premises"], accepted_at=december, calendar=calendar)
    assert late is not None and late.due_at.year == 2027 and late.due_provisional is True
    march = datetime(2026, 3, 2, 10, tzinfo=SHANGHAI)
    early = owed_materials(item, ["premises"], accepted_at=march, calendar=calendar)
    assert early is not None and early.due_provisional is False
    assert owed_materials(item, [], accepted_at=march, calendar=calendar) is None
