"""The item's material rules (docs/intake.md, "Validation"): each fault is refused with a 422
naming the field, and nothing is registered."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from services.intake.domain import ServiceItem
from tests.unit.intake.intake_fakes import Wiring
from tests.unit.intake.test_intake_submission import UPLOAD, business_licence

LIMIT = 4096  # EGOV_MAX_MATERIAL_BYTES for these tests
ITEM = "500000-SCJ-001"  # 企业设立登记: commitments and accept-with-gaps allowed


def edit(
    *changed: tuple[int, dict[str, Any]], drop: str = "", add: Any = None, **fields: Any
) -> Callable[[dict[str, Any]], None]:
    """Replace materials by index, drop one by code, add one, set top-level fields."""

    def apply(body: dict[str, Any]) -> None:
        for i, material in changed:
            body["materials"][i] = material
        body["materials"] = [m for m in body["materials"] if m["code"] != drop]
        if add is not None:
            body["materials"].append(add)
        body.update(fields)

    return apply


def item_without(flag: str) -> Callable[[ServiceItem], ServiceItem]:
    return lambda item: item.model_copy(update={flag: False})


# (id, what the item says, what the body says, the field refused, part of the message)
FAULTS: list[tuple[str, Any, Callable[[dict[str, Any]], None], str, str]] = [
    (
        "the same material twice",
        None,
        edit(add={"code": "articles", **UPLOAD}),
        "materials.4.code",
        "material 'articles' given twice",
    ),
    (
        "a commitment where the item forbids commitments",
        item_without("commitment_allowed"),
        edit((3, {"code": "premises", "form": "commitment", "commitment_text": "承诺"})),
        "materials.3.form",
        "does not accept written commitments",
    ),
    (
        "an upload over the size limit",
        None,
        edit((1, {"code": "application_form", **UPLOAD, "size": LIMIT + 1})),
        "materials.1.size",
        f"{LIMIT + 1} bytes is more than the {LIMIT} bytes allowed",
    ),
    (
        "a handling region other than the item's",
        None,
        edit(receiving_region="510100", handling_region="510100"),
        "handling_region",
        f"item {ITEM} is handled in region 500000, not 510100",
    ),
    (
        "an unknown material code",
        None,
        edit(add={"code": "tax_receipt", **UPLOAD}),
        "materials.4.code",
        f"'tax_receipt' is not a material of item {ITEM}",
    ),
    (
        "a form the material does not accept",
        None,
        edit((1, {"code": "application_form", "form": "commitment", "commitment_text": "承诺"})),
        "materials.1.form",
        "accepted as upload, not as commitment",
    ),
    (
        "an upload without its hash",
        None,
        edit((2, {"code": "articles", "form": "upload", "size": 100})),
        "materials.2",
        "an upload needs its sha256 and size",
    ),
    (
        "an e-licence without its reference",
        None,
        edit((0, {"code": "id_card", "form": "elicense"})),
        "materials.0.licence_ref",
        "an e-licence reference is needed",
    ),
    (
        "a missing key material, even with accept-with-gaps",
        None,
        edit(drop="articles", accept_with_gaps=True),
        "materials",
        "missing required material(s): 公司章程 (articles)",
    ),
    (
        "a missing material without asking for accept-with-gaps",
        None,
        edit(drop="premises"),
        "materials",
        "ask for accept-with-gaps (容缺受理)",
    ),
    (
        "accept-with-gaps on an item that does not allow it",
        item_without("accept_with_gaps_allowed"),
        edit(drop="premises", accept_with_gaps=True),
        "accept_with_gaps",
        "does not allow accept-with-gaps; missing: 住所（经营场所）使用证明 (premises)",
    ),
    (
        "accept-with-gaps asked for with nothing missing, on an item without it",
        item_without("accept_with_gaps_allowed"),
        edit(accept_with_gaps=True),
        "accept_with_gaps",
        f"item {ITEM} does not allow accept-with-gaps (容缺受理)",
    ),
]


async def post(w: Wiring, body: dict[str, Any]) -> httpx.Response:
    async with w.client() as c:
        return await c.post("/v1/cases", json=body)


@pytest.mark.parametrize(
    ("label", "item", "change", "field", "message"), FAULTS, ids=[f[0] for f in FAULTS]
)
async def test_a_material_fault_is_refused_naming_its_field(
    label: str,
    item: Callable[[ServiceItem], ServiceItem] | None,
    change: Callable[[dict[str, Any]], None],
    field: str,
    message: str,
) -> None:
    w = Wiring(max_material_bytes=LIMIT)
    if item is not None:
        w.store.items[ITEM] = item(w.store.items[ITEM])
    assert (await post(w, business_licence())).status_code == 201  # the body without the fault
    body = business_licence()
    change(body)
    r = await post(w, body)
    assert r.status_code == 422, r.text
    [error] = r.json()["errors"]
    assert error["field"] == field and message in error["message"], error
    assert len(w.store.cases) == 1 and len(w.store.events) == 1  # the faulty one left no trace


async def test_an_upload_of_exactly_the_size_limit_is_accepted() -> None:
    w = Wiring(max_material_bytes=LIMIT)
    body = business_licence()
    body["materials"][1] = {"code": "application_form", **UPLOAD, "size": LIMIT}
    r = await post(w, body)
    assert r.status_code == 201, r.text
