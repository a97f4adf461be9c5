"""Catalog commands: start-up load from YAML, and the admin operations, each chained with who
made it (shared/audit/admin.py; chain intake.catalog, one per item code)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from services.intake.domain import (
    Conflict,
    FieldError,
    Invalid,
    ItemStatus,
    NotFound,
    ServiceItem,
    catalog_errors,
)
from services.intake.handlers.catalog_events import catalog_event
from services.intake.handlers.deps import Deps
from services.intake.ports import DuplicateKey
from shared.audit.admin import ChainMoved, View
from shared.auth import Principal

log = logging.getLogger(__name__)

CATALOG_CHAIN = "intake.catalog"
# Who changes the catalog at start-up: the versioned files, as this service loads them.
CATALOG_FILES = Principal(subject="intake (catalog files)", roles=frozenset({"system"}))


def item_view(item: ServiceItem | None) -> View | None:
    """An item as its chain records it (its stored form)."""
    return None if item is None else item.model_dump(mode="json")


def read_catalog_dir(path: str | Path) -> list[ServiceItem]:
    """Every item of every ``*.yaml`` file under ``path`` (a file holds ``items: [...]``)."""
    items: list[ServiceItem] = []
    for file in sorted(Path(path).glob("*.yaml")):
        data: dict[str, Any] = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        for i, raw in enumerate(data.get("items") or []):
            try:
                items.append(ServiceItem.model_validate(raw))
            except ValidationError as exc:
                raise ValueError(f"{file.name} item {i}: {exc}") from exc
    return items


def validate_item(deps: Deps, item: ServiceItem) -> None:
    errors = catalog_errors(item, deps.departments, deps.regions)
    if errors:
        raise Invalid(f"item {item.code} is not a valid definition", errors)


async def load_catalog(deps: Deps) -> int:
    """Load the versioned catalog files; an invalid file stops the start-up (fail fast)."""
    items = read_catalog_dir(deps.settings.catalog_dir)
    codes: set[str] = set()
    for item in items:
        validate_item(deps, item)
        if item.code in codes:
            raise ValueError(f"duplicate item code {item.code} in {deps.settings.catalog_dir}")
        codes.add(item.code)
    written = 0
    for item in items:
        written += int(await _load_item(deps, item))
    log.info("catalog: %d items read, %d written", len(items), written)
    return written


async def _load_item(deps: Deps, item: ServiceItem) -> bool:
    """Insert, or replace a stored item of a lower version; chained as the catalog files'."""
    current = await deps.store.get_item(item.code)
    if current is not None and current.version >= item.version:
        return False
    try:
        return await _changed(deps, CATALOG_FILES, "loaded", current, item)
    except (DuplicateKey, ChainMoved):
        return False  # another replica loaded it first


async def list_items(
    deps: Deps,
    *,
    region: str | None = None,
    department: str | None = None,
    include_closed: bool = False,
) -> list[ServiceItem]:
    return await deps.store.list_items(
        region=region, department=department, include_closed=include_closed
    )


async def get_item(deps: Deps, code: str) -> ServiceItem:
    item = await deps.store.get_item(code)
    if item is None:
        raise NotFound(f"unknown item {code!r}")
    return item


async def _changed(
    deps: Deps, actor: Principal, action: str, current: ServiceItem | None, item: ServiceItem
) -> bool:
    """Write ``item`` over ``current`` (None: a new item) and chain the change with ``actor``;
    False when the stored item is no longer ``current``."""

    events = [catalog_event(item, at=deps.clock.now())]  # the item on the bus, with it

    async def work(session: Any) -> bool:
        if current is None:
            await deps.store.insert_item(item, session=session, events=events)
            return True
        return await deps.store.replace_item(
            item, expected_version=current.version, session=session, events=events
        )

    return await deps.chaining.record(
        work,
        CATALOG_CHAIN,
        item.code,
        action,
        actor=actor,
        before=item_view(current),
        after=item_view(item),
    )


async def create_item(deps: Deps, item: ServiceItem, *, actor: Principal) -> ServiceItem:
    item = item.model_copy(update={"version": 1})
    validate_item(deps, item)
    try:
        await _changed(deps, actor, "created", None, item)
    except (DuplicateKey, ChainMoved) as exc:
        raise Conflict(
            f"an item with code {item.code} already exists", [FieldError("code", "duplicate code")]
        ) from exc
    return item


async def update_item(deps: Deps, code: str, item: ServiceItem, *, actor: Principal) -> ServiceItem:
    if item.code != code:
        raise Invalid(
            "the code in the body differs from the path", [FieldError("code", f"expected {code}")]
        )
    current = await get_item(deps, code)
    updated = item.model_copy(update={"version": current.version + 1})
    validate_item(deps, updated)
    await _replace(deps, actor, "updated", current, updated)
    return updated


async def close_item(deps: Deps, code: str, *, actor: Principal) -> ServiceItem:
    current = await get_item(deps, code)
    if current.status == ItemStatus.CLOSED:
        return current
    closed = current.model_copy(
        update={"status": ItemStatus.CLOSED, "version": current.version + 1}
    )
    await _replace(deps, actor, "closed", current, closed)
    return closed


async def _replace(
    deps: Deps, actor: Principal, action: str, current: ServiceItem, item: ServiceItem
) -> None:
    try:
        replaced = await _changed(deps, actor, action, current, item)
    except ChainMoved:
        replaced = False
    if not replaced:
        raise Conflict(f"item {item.code} changed meanwhile; read it again and retry")
