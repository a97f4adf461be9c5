"""The sample catalog is valid and realistic; invalid definitions are refused with reasons."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from services.intake.domain import ServiceItem, catalog_errors
from services.intake.handlers.catalog import ITEMS
from services.intake.handlers.deps import department_regions
from services.intake.settings import DEFAULT_CATALOG_DIR
from shared.reference import regions
from tests.support.tokens import lasting_token
from tests.unit.intake.intake_fakes import Wiring


def sample() -> list[ServiceItem]:
    return ITEMS.read_dir(DEFAULT_CATALOG_DIR)


def errors_of(item: ServiceItem) -> dict[str, str]:
    return {e.field: e.message for e in catalog_errors(item, department_regions(), regions())}


def test_sample_catalog_is_valid_and_covers_the_required_items() -> None:
    items = sample()
    assert len(items) >= 20
    assert len({i.department for i in items}) >= 6
    assert {i.region for i in items} == {"500000", "510100"}
    for item in items:
        assert errors_of(item) == {}, item.code
    names = " ".join(i.name for i in items)
    for needed in (
        "营业执照",
        "食品经营许可",
        "建筑工程施工许可",
        "住房公积金异地转移接续",
        "基本医疗保险关系转移接续",
        "居民身份证换领",
    ):
        assert needed in names
    construction = next(i for i in items if i.code == "500000-ZJW-001")
    parallel = [s for s in construction.stage_plan if len(s.departments) > 1]
    assert parallel and parallel[0].parallel_mode == "all" and len(parallel[0].departments) >= 3
    fund = next(i for i in items if i.code == "500000-GJJ-001")
    assert fund.cross_region and set(fund.handling_regions) == {"500000", "510100"}


def variant(**changes: Any) -> ServiceItem:
    base = next(i for i in sample() if i.code == "500000-SCJ-001")
    return ServiceItem.model_validate({**base.model_dump(mode="json"), **changes})


def test_promised_limit_beyond_statutory_is_refused() -> None:
    errors = errors_of(variant(promised_limit={"value": 5}, statutory_limit={"value": 3}))
    assert "exceeds the statutory limit" in errors["promised_limit"]
    # 3 natural weeks of promise against 10 working days: exceeds too.
    errors = errors_of(
        variant(promised_limit={"value": 21, "unit": "natural_days"}, statutory_limit={"value": 10})
    )
    assert "promised_limit" in errors


def test_unknown_department_empty_plan_and_prereview_stage_are_refused() -> None:
    assert (
        "unknown department"
        in errors_of(variant(department="500000-XYZ", code="500000-XYZ-001"))["department"]
    )
    assert "no stage" in errors_of(variant(stage_plan=[]))["stage_plan"]
    plan = [
        {
            "stage": "prereview",
            "name": "预审",
            "limit": {"value": 1},
            "departments": ["500000-SCJ", "500000-NOPE"],
        }
    ]
    errors = errors_of(variant(stage_plan=plan))
    assert "pre-review is automatic" in errors["stage_plan.0.stage"]
    assert "unknown department" in errors["stage_plan.0.departments.1"]


def test_items_say_how_they_are_served_and_a_fully_online_item_needs_no_visit() -> None:
    items = {i.code: i for i in sample()}
    assert items["500000-YBJ-002"].service_type == "immediate"
    assert items["500000-SCJ-001"].fully_online and items["500000-SCJ-001"].visits_required == 0
    assert items["500000-GAJ-001"].visits_required >= 1 and not items["500000-GAJ-001"].fully_online
    errors = errors_of(variant(fully_online=True, visits_required=1))
    assert "requires no visit" in errors["visits_required"]
    assert "visits_required" not in errors_of(variant(fully_online=True, visits_required=0))


def test_commitment_material_needs_the_item_to_allow_commitments() -> None:
    errors = errors_of(variant(commitment_allowed=False))
    assert "commitment" in errors["materials.3.forms"]


async def test_admin_api_creates_updates_closes_and_refuses_invalid_items() -> None:
    w = Wiring()
    new = variant(code="500000-SCJ-099", name="测试事项").model_dump(mode="json")
    token = lasting_token(w.settings, subject="admin-1", roles=["admin"])
    admin = {"Authorization": f"Bearer {token}"}
    clerk = {"Authorization": "Bearer " + lasting_token(w.settings, subject="h", roles=["handler"])}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(w.app()), base_url="http://t") as c:
        assert (await c.post("/v1/catalog/items", json=new)).status_code == 401
        assert (await c.post("/v1/catalog/items", json=new, headers=clerk)).status_code == 403
        r = await c.post("/v1/catalog/items", json=new, headers=admin)
        assert r.status_code == 201, r.text
        r = await c.post("/v1/catalog/items", json=new, headers=admin)
        assert r.status_code == 409 and "already exists" in r.json()["detail"]
        bad = {**new, "code": "500000-SCJ-098", "stage_plan": [], "promised_limit": {"value": 9}}
        r = await c.post("/v1/catalog/items", json=bad, headers=admin)
        assert r.status_code == 422
        fields = {e["field"] for e in r.json()["errors"]}
        assert {"stage_plan", "promised_limit"} <= fields
        r = await c.put(
            "/v1/catalog/items/500000-SCJ-099", json={**new, "name": "改名"}, headers=admin
        )
        assert r.status_code == 200 and r.json()["version"] == 2
        r = await c.post("/v1/catalog/items/500000-SCJ-099/close", headers=admin)
        assert r.json()["status"] == "closed"
        listed = (await c.get("/v1/catalog/items", params={"region": "500000"})).json()
        assert "500000-SCJ-099" not in {i["code"] for i in listed}
        assert (await c.get("/v1/catalog/items/NOPE")).status_code == 404


@pytest.mark.parametrize("field", ["code", "region"])
def test_structurally_invalid_items_fail_schema_validation(field: str) -> None:
    with pytest.raises(ValueError):
        variant(**{field: "x"})


def test_a_stage_plan_that_cannot_fit_the_promised_limit_is_refused_with_the_sums() -> None:
    errors = errors_of(variant(stage_limits="within_promised"))  # four 1-day stages, 1-day promise
    assert errors["stage_plan"].startswith("the stages add up to 4 working days")
    assert "accept 1 working days + review 1 working days" in errors["stage_plan"]
    assert "promised limit of 1 working days" in errors["stage_plan"]
    hours = [
        {**step, "limit": {"value": v, "unit": "working_hours"}}
        for step, v in zip(
            variant().model_dump(mode="json")["stage_plan"], (1, 3, 2, 1), strict=True
        )
    ]
    assert errors_of(variant(stage_limits="within_promised", stage_plan=hours)) == {}  # 7 h
    assert errors_of(variant(stage_limits="shared")) == {}  # said explicitly


def test_shipped_items_say_their_stages_share_the_promise_only_where_they_do_not_fit() -> None:
    shared = [i for i in sample() if i.stage_limits == "shared"]
    assert "500000-SCJ-001" in {i.code for i in shared}  # same-day items: targets within a day
    for item in shared:
        strict = item.model_copy(update={"stage_limits": "within_promised"})
        assert "stage_plan" in errors_of(strict), item.code
