"""Bundle definitions (一件事) in the catalog: the start-up load from catalog/bundles.yaml and
the admin operations, each chained with who made it (chain intake.bundle, one per bundle code),
validated against the items in the catalog."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from services.intake.domain import Conflict, FieldError, Invalid, ItemStatus, NotFound
from services.intake.domain.bundles import Bundle, bundle_errors
from services.intake.handlers.catalog import CATALOG_FILES
from services.intake.handlers.deps import Deps
from services.intake.ports import DuplicateKey
from shared.audit.admin import ChainMoved
from shared.auth import Principal

log = logging.getLogger(__name__)

BUNDLE_CHAIN = "intake.bundle"


def read_bundles_dir(path: str | Path) -> list[Bundle]:
    """Every bundle of every ``*.yaml`` file under ``path`` (a file holds ``bundles: [...]``)."""
    bundles: list[Bundle] = []
    for file in sorted(Path(path).glob("*.yaml")):
        data: dict[str, Any] = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        for i, raw in enumerate(data.get("bundles") or []):
            try:
                bundles.append(Bundle.model_validate(raw))
            except ValidationError as exc:
                raise ValueError(f"{file.name} bundle {i}: {exc}") from exc
    return bundles


async def validate_bundle(deps: Deps, bundle: Bundle) -> None:
    items = {}
    for code in bundle.item_codes:
        item = await deps.store.get_item(code)
        if item is not None:
            items[code] = item
    errors = bundle_errors(bundle, items, deps.departments, deps.regions)
    if errors:
        raise Invalid(f"bundle {bundle.code} is not a valid definition", errors)


async def load_bundles(deps: Deps) -> int:
    """Load the versioned bundle definitions (after the items); an invalid one stops the
    start-up. A stored bundle of a higher or equal version (an admin edit) is kept."""
    bundles = read_bundles_dir(deps.settings.catalog_dir)
    written = 0
    for bundle in bundles:
        await validate_bundle(deps, bundle)
        current = await deps.bundles.get_bundle(bundle.code)
        if current is not None and current.version >= bundle.version:
            continue
        try:
            written += int(await _changed(deps, CATALOG_FILES, "loaded", current, bundle))
        except (DuplicateKey, ChainMoved):
            continue  # another replica loaded it first
    log.info("catalog: %d bundles read, %d written", len(bundles), written)
    return written


async def list_bundles(
    deps: Deps, *, region: str | None = None, include_closed: bool = False
) -> list[Bundle]:
    return await deps.bundles.list_bundles(region=region, include_closed=include_closed)


async def get_bundle(deps: Deps, code: str) -> Bundle:
    bundle = await deps.bundles.get_bundle(code)
    if bundle is None:
        raise NotFound(f"unknown bundle {code!r}")
    return bundle


async def _changed(
    deps: Deps, actor: Principal, action: str, current: Bundle | None, bundle: Bundle
) -> bool:
    async def work(session: Any) -> bool:
        if current is None:
            await deps.bundles.insert_bundle(bundle, session=session)
            return True
        return await deps.bundles.replace_bundle(
            bundle, expected_version=current.version, session=session
        )

    return await deps.chaining.record(
        work,
        BUNDLE_CHAIN,
        bundle.code,
        action,
        actor=actor,
        before=None if current is None else current.model_dump(mode="json"),
        after=bundle.model_dump(mode="json"),
    )


async def create_bundle(deps: Deps, bundle: Bundle, *, actor: Principal) -> Bundle:
    bundle = bundle.model_copy(update={"version": 1})
    await validate_bundle(deps, bundle)
    try:
        await _changed(deps, actor, "created", None, bundle)
    except (DuplicateKey, ChainMoved) as exc:
        raise Conflict(
            f"a bundle with code {bundle.code} already exists",
            [FieldError("code", "duplicate code")],
        ) from exc
    return bundle


async def update_bundle(deps: Deps, code: str, bundle: Bundle, *, actor: Principal) -> Bundle:
    if bundle.code != code:
        raise Invalid(
            "the code in the body differs from the path", [FieldError("code", f"expected {code}")]
        )
    current = await get_bundle(deps, code)
    updated = bundle.model_copy(update={"version": current.version + 1})
    await validate_bundle(deps, updated)
    await _replace(deps, actor, "updated", current, updated)
    return updated


async def close_bundle(deps: Deps, code: str, *, actor: Principal) -> Bundle:
    current = await get_bundle(deps, code)
    if current.status == ItemStatus.CLOSED:
        return current
    closed = current.model_copy(
        update={"status": ItemStatus.CLOSED, "version": current.version + 1}
    )
    await _replace(deps, actor, "closed", current, closed)
    return closed


async def _replace(
    deps: Deps, actor: Principal, action: str, current: Bundle, bundle: Bundle
) -> None:
    try:
        replaced = await _changed(deps, actor, action, current, bundle)
    except ChainMoved:
        replaced = False
    if not replaced:
        raise Conflict(f"bundle {bundle.code} changed meanwhile; read it again and retry")
