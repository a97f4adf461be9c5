"""Bundles (一件事 / 主题): several catalog items applied for together, with one form and one
set of materials, in the order their dependencies allow, under a promised limit of their own;
and when a bundle definition is valid."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field

from services.intake.domain.catalog import ItemStatus, ServiceItem
from services.intake.domain.errors import FieldError
from shared.calendar import Limit
from shared.contracts.common import Channel, RegionCode


class BundleItem(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    item_code: str
    after: list[str] = Field(
        default_factory=list,
        description="items of the bundle that must be decided (approved) before this one "
        "starts; items with no path between them run in parallel",
    )


class SharedField(BaseModel):
    """A form field asked once and given to the form of each item it names."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,59}$")
    label: str = Field(min_length=1, max_length=200)
    required: bool = True
    items: list[str] = Field(description="the items whose form receives it")


class MaterialTarget(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    item_code: str
    material: str


class BundleMaterial(BaseModel):
    """A material asked once and standing for each item material it maps to."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(pattern=r"^[a-z0-9_]{1,60}$")
    name: str = Field(min_length=1, max_length=200)
    maps_to: list[MaterialTarget]


class ProvidedMaterial(BaseModel):
    """An item material the e-licence of an upstream item provides: never asked of the
    applicant, filled in when the dependent item is released."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    item_code: str
    material: str
    from_item: str


class Bundle(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(pattern=r"^\d{6}-YJS-\d{3}$", examples=["500000-YJS-001"])
    version: int = Field(1, ge=1)
    name: str = Field(min_length=1, max_length=200)
    name_en: str = ""
    region: RegionCode
    lead_department: str = Field(description="the department answerable for the bundle limit")
    regions: list[RegionCode] = Field(
        default_factory=list, description="regions whose halls offer it (default: its region)"
    )
    channels: list[Channel] = Field(default_factory=lambda: list(Channel), min_length=1)
    items: list[BundleItem]
    fields: list[SharedField] = Field(default_factory=list)
    materials: list[BundleMaterial] = Field(default_factory=list)
    provided: list[ProvidedMaterial] = Field(default_factory=list)
    promised_limit: Limit
    outcome_rule: str = Field(
        "all_or_stop",
        pattern=r"^all_or_stop$",
        description="all_or_stop: the bundle is completed when every item is approved; an item "
        "decided otherwise cancels the items waiting for it, the others run to their decision",
    )
    status: ItemStatus = ItemStatus.OPEN

    @property
    def item_codes(self) -> list[str]:
        return [i.item_code for i in self.items]

    @property
    def offered_regions(self) -> list[str]:
        return self.regions or [self.region]

    def upstream(self, item_code: str) -> list[str]:
        return next((i.after for i in self.items if i.item_code == item_code), [])

    def provided_for(self, item_code: str) -> list[ProvidedMaterial]:
        return [p for p in self.provided if p.item_code == item_code]


def bundle_errors(
    bundle: Bundle,
    items: Mapping[str, ServiceItem],
    departments: Mapping[str, str],
    regions: Mapping[str, str],
) -> list[FieldError]:
    """Why ``bundle`` is not a valid definition (empty when it is). ``items`` maps the codes
    of the catalog's items to them."""
    return [
        *_place_errors(bundle, items, departments, regions),
        *_item_errors(bundle, items),
        *_field_errors(bundle),
        *_material_errors(bundle, items),
        *_coverage_errors(bundle, items),
    ]


def _place_errors(
    bundle: Bundle,
    items: Mapping[str, ServiceItem],
    departments: Mapping[str, str],
    regions: Mapping[str, str],
) -> list[FieldError]:
    """Known region and lead department; each offered region can receive every item."""
    errors: list[FieldError] = []
    if bundle.region not in regions:
        errors.append(FieldError("region", f"unknown region {bundle.region!r}"))
    if departments.get(bundle.lead_department) != bundle.region:
        errors.append(
            FieldError(
                "lead_department",
                f"{bundle.lead_department!r} is not a department of region {bundle.region}",
            )
        )
    for i, region in enumerate(bundle.offered_regions):
        if region not in regions:
            errors.append(FieldError(f"regions.{i}", f"unknown region {region!r}"))
            continue
        for code in bundle.item_codes:
            item = items.get(code)
            if item is not None and not receivable(item, region):
                errors.append(
                    FieldError(f"regions.{i}", f"item {code} cannot be received in {region}")
                )
    return errors


def receivable(item: ServiceItem, region: str) -> bool:
    return region == item.region or (item.cross_region and region in item.handling_regions)


def _item_errors(bundle: Bundle, items: Mapping[str, ServiceItem]) -> list[FieldError]:
    """At least two known, open items, each once; dependencies inside the bundle, acyclic."""
    errors: list[FieldError] = []
    if len(bundle.items) < 2:
        errors.append(FieldError("items", "a bundle has at least two items"))
    codes = bundle.item_codes
    for i, entry in enumerate(bundle.items):
        item = items.get(entry.item_code)
        if item is None:
            errors.append(FieldError(f"items.{i}.item_code", f"unknown item {entry.item_code!r}"))
        elif item.status == ItemStatus.CLOSED:
            errors.append(FieldError(f"items.{i}.item_code", f"item {item.code} is closed"))
        if codes.count(entry.item_code) > 1:
            errors.append(FieldError(f"items.{i}.item_code", "the item is listed twice"))
        for j, upstream in enumerate(entry.after):
            if upstream not in codes or upstream == entry.item_code:
                errors.append(
                    FieldError(
                        f"items.{i}.after.{j}", f"{upstream!r} is not another item of the bundle"
                    )
                )
    cycle = dependency_cycle(bundle)
    if cycle:
        errors.append(FieldError("items", "the dependencies form a cycle: " + " → ".join(cycle)))
    return errors


def dependency_cycle(bundle: Bundle) -> list[str]:
    """One cycle of the 'after' relation (its first item repeated at the end), or []."""
    after = {i.item_code: [u for u in i.after if u != i.item_code] for i in bundle.items}
    done: set[str] = set()

    def visit(code: str, path: list[str]) -> list[str]:
        if code in path:
            return [*path[path.index(code) :], code]
        if code in done or code not in after:
            return []
        for upstream in after[code]:
            found = visit(upstream, [*path, code])
            if found:
                return found
        done.add(code)
        return []

    for code in after:
        found = visit(code, [])
        if found:
            return list(reversed(found))
    return []


def ancestors(bundle: Bundle, item_code: str) -> set[str]:
    """Every item that must be decided before ``item_code`` starts (assumes no cycle)."""
    found: set[str] = set()
    stack = list(bundle.upstream(item_code))
    while stack:
        code = stack.pop()
        if code not in found:
            found.add(code)
            stack.extend(bundle.upstream(code))
    return found


def _field_errors(bundle: Bundle) -> list[FieldError]:
    errors: list[FieldError] = []
    names = [f.name for f in bundle.fields]
    for i, shared in enumerate(bundle.fields):
        if names.count(shared.name) > 1:
            errors.append(FieldError(f"fields.{i}.name", "the field is listed twice"))
        if not shared.items:
            errors.append(FieldError(f"fields.{i}.items", "the field maps to no item"))
        for j, code in enumerate(shared.items):
            if code not in bundle.item_codes:
                errors.append(
                    FieldError(f"fields.{i}.items.{j}", f"{code!r} is not an item of the bundle")
                )
    return errors


def _material_errors(bundle: Bundle, items: Mapping[str, ServiceItem]) -> list[FieldError]:
    """Each bundle material maps to item materials of the bundle, none twice; a provided
    material comes from an upstream item that issues an e-licence."""
    errors: list[FieldError] = []
    seen: set[tuple[str, str]] = set()
    codes = [m.code for m in bundle.materials]
    for i, material in enumerate(bundle.materials):
        where = f"materials.{i}"
        if codes.count(material.code) > 1:
            errors.append(FieldError(f"{where}.code", "the material is listed twice"))
        if not material.maps_to:
            errors.append(FieldError(f"{where}.maps_to", "the material maps to no item material"))
        for j, target in enumerate(material.maps_to):
            problem = _target_problem(bundle, items, target.item_code, target.material)
            if problem is None and (target.item_code, target.material) in seen:
                problem = "this item material is mapped twice"
            if problem is not None:
                errors.append(FieldError(f"{where}.maps_to.{j}", problem))
            seen.add((target.item_code, target.material))
    for i, given in enumerate(bundle.provided):
        problem = _target_problem(bundle, items, given.item_code, given.material)
        upstream = items.get(given.from_item)
        if problem is None and (given.item_code, given.material) in seen:
            problem = "this item material is also asked of the applicant"
        if problem is None and given.from_item not in ancestors(bundle, given.item_code):
            problem = f"{given.from_item} is not decided before {given.item_code}"
        if problem is None and (upstream is None or upstream.issues_licence is None):
            problem = f"{given.from_item} issues no e-licence"
        if problem is not None:
            errors.append(FieldError(f"provided.{i}", problem))
    return errors


def _target_problem(
    bundle: Bundle, items: Mapping[str, ServiceItem], item_code: str, material: str
) -> str | None:
    if item_code not in bundle.item_codes:
        return f"{item_code!r} is not an item of the bundle"
    item = items.get(item_code)
    if item is not None and item.material(material) is None:
        return f"item {item_code} has no material {material!r}"
    return None


def _coverage_errors(bundle: Bundle, items: Mapping[str, ServiceItem]) -> list[FieldError]:
    """Every required material of every item is asked once or provided by an upstream item."""
    covered = {(t.item_code, t.material) for m in bundle.materials for t in m.maps_to}
    covered |= {(p.item_code, p.material) for p in bundle.provided}
    return [
        FieldError(
            "materials",
            f"item {code}'s required material {material!r} is asked by no bundle material",
        )
        for code in bundle.item_codes
        if (item := items.get(code)) is not None
        for material in item.required_materials
        if (code, material) not in covered
    ]
