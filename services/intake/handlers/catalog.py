"""Catalog commands: start-up load from YAML, and the admin operations."""

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
from services.intake.handlers.deps import Deps
from services.intake.ports import DuplicateKey

log = logging.getLogger(__name__)


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
        written += int(await deps.store.load_item(item))
    log.info("catalog: %d items read, %d written", len(items), written)
    return written


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


async def create_item(deps: Deps, item: ServiceItem) -> ServiceItem:
    item = item.model_copy(update={"version": 1})
    validate_item(deps, item)
    try:
        await deps.store.insert_item(item)
    except DuplicateKey as exc:
        raise Conflict(
            f"an item with code {item.code} already exists", [FieldError("code", "duplicate code")]
        ) from exc
    return item


async def update_item(deps: Deps, code: str, item: ServiceItem) -> ServiceItem:
    if item.code != code:
        raise Invalid(
            "the code in the body differs from the path", [FieldError("code", f"expected {code}")]
        )
    current = await get_item(deps, code)
    updated = item.model_copy(update={"version": current.version + 1})
    validate_item(deps, updated)
    if not await deps.store.replace_item(updated, expected_version=current.version):
        raise Conflict(f"item {code} changed meanwhile; read it again and retry")
    return updated


async def close_item(deps: Deps, code: str) -> ServiceItem:
    current = await get_item(deps, code)
    if current.status == ItemStatus.CLOSED:
        return current
    closed = current.model_copy(
        update={"status": ItemStatus.CLOSED, "version": current.version + 1}
    )
    if not await deps.store.replace_item(closed, expected_version=current.version):
        raise Conflict(f"item {code} changed meanwhile; retry")
    return closed
