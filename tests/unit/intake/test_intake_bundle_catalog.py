"""Bundles (一件事) in the catalog: the shipped themes are valid and realistic; a definition
with a cycle, an unmapped field or material, an unknown item or an uncovered material is
refused with the field (422, never 500); the admin API chains each change."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from services.intake.domain.bundles import Bundle, bundle_errors
from services.intake.handlers.bundle_catalog import BUNDLE_CHAIN, BUNDLES
from services.intake.handlers.catalog import ITEMS as ITEM_DEFINITIONS
from services.intake.handlers.deps import department_regions
from services.intake.settings import DEFAULT_CATALOG_DIR
from shared.reference import regions
from tests.support.tokens import lasting_token
from tests.unit.intake.intake_fakes import Wiring

ITEMS = {i.code: i for i in ITEM_DEFINITIONS.read_dir(DEFAULT_CATALOG_DIR)}


def shipped() -> dict[str, Bundle]:
    return {b.code: b for b in BUNDLES.read_dir(DEFAULT_CATALOG_DIR)}


def errors_of(bundle: Bundle) -> dict[str, str]:
    found = bundle_errors(bundle, ITEMS, department_regions(), regions())
    return {e.field: e.message for e in found}


def variant(base: str = "500000-YJS-001", **changes: Any) -> Bundle:
    shipped_one = shipped()[base].model_dump(mode="json")
    return Bundle.model_validate({**shipped_one, **changes})


def test_the_four_shipped_themes_are_valid_with_real_items_and_departments() -> None:
    bundles = shipped()
    for bundle in bundles.values():
        assert errors_of(bundle) == {}, bundle.code
    names = {b.name for b in bundles.values()}
    assert {"开办企业一件事", "新生儿出生一件事", "开办小餐馆一件事"} <= names
    assert any("迁居" in n for n in names)
    business = bundles["500000-YJS-001"]
    departments = {ITEMS[c].department for c in business.item_codes}
    assert departments == {"500000-SCJ", "500000-GAJ", "500000-SWJ", "500000-RSJ"}
    # the seal, tax and social insurance wait for the licence and run in parallel
    assert all(business.upstream(c) == ["500000-SCJ-001"] for c in business.item_codes[1:])
    # the ID of the legal representative is asked once for three items
    legal_rep = next(m for m in business.materials if m.code == "legal_rep_id")
    assert len(legal_rep.maps_to) == 3
    moving = bundles["510100-YJS-001"]
    assert set(moving.offered_regions) == {"500000", "510100"}


def test_a_dependency_cycle_is_refused_naming_it() -> None:
    items = [
        {"item_code": "500000-SCJ-001", "after": ["500000-RSJ-002"]},
        {"item_code": "500000-GAJ-003", "after": ["500000-SCJ-001"]},
        {"item_code": "500000-SWJ-002", "after": ["500000-SCJ-001"]},
        {"item_code": "500000-RSJ-002", "after": ["500000-GAJ-003"]},
    ]
    errors = errors_of(variant(items=items))
    assert "cycle" in errors["items"]
    assert "500000-SCJ-001 → 500000-GAJ-003 → 500000-RSJ-002 → 500000-SCJ-001" in errors["items"]


def test_a_shared_field_or_material_that_maps_to_nothing_is_refused_with_the_field() -> None:
    bundle = variant(
        fields=[
            {"name": "company_name", "label": "企业名称", "items": []},
            {"name": "x", "label": "x", "items": ["500000-ZJW-001"]},
        ],
    )
    errors = errors_of(bundle)
    assert errors["fields.0.items"] == "the field maps to no item"
    assert "not an item of the bundle" in errors["fields.1.items.0"]
    materials = [m.model_dump() for m in shipped()["500000-YJS-001"].materials]
    materials[0]["maps_to"] = []
    materials[1]["maps_to"] = [{"item_code": "500000-SCJ-001", "material": "no_such"}]
    errors = errors_of(variant(materials=materials))
    assert errors["materials.0.maps_to"] == "the material maps to no item material"
    assert errors["materials.1.maps_to.0"] == "item 500000-SCJ-001 has no material 'no_such'"
    # the ID and the application form are now asked by nothing
    assert "required material" in errors["materials"]


def test_an_unknown_item_and_a_provided_material_not_upstream_are_refused() -> None:
    items = [i.model_dump() for i in shipped()["500000-YJS-001"].items]
    items[1] = {"item_code": "500000-NOPE-001", "after": ["500000-ZZZ-001"]}
    errors = errors_of(variant(items=items))
    assert errors["items.1.item_code"] == "unknown item '500000-NOPE-001'"
    assert "not another item of the bundle" in errors["items.1.after.0"]
    provided = [
        {"item_code": "500000-SCJ-001", "material": "premises", "from_item": "500000-RSJ-002"}
    ]
    errors = errors_of(variant(provided=provided))
    assert "also asked" in errors["provided.0"]


def test_a_region_that_cannot_receive_an_item_is_refused() -> None:
    errors = errors_of(variant(regions=["500000", "510100"]))
    assert "cannot be received in 510100" in errors["regions.1"]


async def test_admin_api_creates_updates_closes_and_refuses_invalid_bundles() -> None:
    w = Wiring()
    new = variant(code="500000-YJS-099", name="测试一件事").model_dump(mode="json")
    admin = {"Authorization": "Bearer " + lasting_token(w.settings, subject="a", roles=["admin"])}
    clerk = {"Authorization": "Bearer " + lasting_token(w.settings, subject="h", roles=["handler"])}
    transport = httpx.ASGITransport(w.app())
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        assert (await c.post("/v1/catalog/bundles", json=new, headers=clerk)).status_code == 403
        r = await c.post("/v1/catalog/bundles", json=new, headers=admin)
        assert r.status_code == 201, r.text
        r = await c.post("/v1/catalog/bundles", json=new, headers=admin)
        assert r.status_code == 409
        cyclic = {**new, "code": "500000-YJS-098"}
        cyclic["items"] = [
            {"item_code": "500000-SCJ-001", "after": ["500000-GAJ-003"]},
            {"item_code": "500000-GAJ-003", "after": ["500000-SCJ-001"]},
        ]
        r = await c.post("/v1/catalog/bundles", json=cyclic, headers=admin)
        assert r.status_code == 422
        assert "items" in {e["field"] for e in r.json()["errors"]}
        r = await c.post("/v1/catalog/bundles", json={**new, "items": "x"}, headers=admin)
        assert r.status_code == 422
        r = await c.put(
            "/v1/catalog/bundles/500000-YJS-099", json={**new, "name": "改名"}, headers=admin
        )
        assert r.status_code == 200 and r.json()["version"] == 2
        r = await c.post("/v1/catalog/bundles/500000-YJS-099/close", headers=admin)
        assert r.json()["status"] == "closed"
        listed = (await c.get("/v1/catalog/bundles", params={"region": "500000"})).json()
        assert "500000-YJS-099" not in {b["code"] for b in listed}
        assert "510100-YJS-001" in {b["code"] for b in listed}
        assert (await c.get("/v1/catalog/bundles/NOPE")).status_code == 404
    entries = await w.changes.entries(BUNDLE_CHAIN, "500000-YJS-099")
    assert [e["action"] for e in entries] == ["created", "updated", "closed"]


async def test_start_up_load_writes_the_files_and_keeps_a_newer_admin_edit() -> None:
    w = Wiring()
    w.bundles.bundles.clear()
    assert await BUNDLES.load(w.deps) == len(shipped())
    edited = w.bundles.bundles["500000-YJS-001"].model_copy(update={"version": 5, "name": "改"})
    w.bundles.bundles["500000-YJS-001"] = edited
    assert await BUNDLES.load(w.deps) == 0
    assert w.bundles.bundles["500000-YJS-001"].name == "改"


@pytest.mark.parametrize("code", ["500000-SCJ-001", "YJS-1"])
def test_a_bundle_code_is_a_region_yjs_number(code: str) -> None:
    with pytest.raises(ValueError):
        variant(code=code)
