"""Bundle definitions (一件事) in the catalog: the start-up load from catalog/bundles.yaml and
the admin operations (``BUNDLES``: create, replace, close, one), each chained with who made it
(chain intake.bundle, one per bundle code) and validated against the items in the catalog,
through the one admin flow of versioned definitions (services/intake/handlers/definitions.py)."""

from __future__ import annotations

from services.intake.domain import FieldError
from services.intake.domain.bundles import Bundle, bundle_errors
from services.intake.handlers.definitions import Definitions
from services.intake.handlers.deps import Deps

BUNDLE_CHAIN = "intake.bundle"


async def bundle_problems(deps: Deps, bundle: Bundle) -> list[FieldError]:
    """Checked against the items of the catalog as stored (the files' are loaded first)."""
    items = {}
    for code in bundle.item_codes:
        item = await deps.store.get_item(code)
        if item is not None:
            items[code] = item
    return bundle_errors(bundle, items, deps.departments, deps.regions)


BUNDLES: Definitions[Bundle] = Definitions(
    kind="bundle",
    chain=BUNDLE_CHAIN,
    yaml_key="bundles",
    parse=Bundle.model_validate,
    get=lambda deps, code: deps.bundles.get_bundle(code),
    insert=lambda deps, b, s: deps.bundles.insert_bundle(b, session=s),
    replace=lambda deps, b, v, s: deps.bundles.replace_bundle(b, expected_version=v, session=s),
    problems=bundle_problems,
)


async def list_bundles(
    deps: Deps, *, region: str | None = None, include_closed: bool = False
) -> list[Bundle]:
    return await deps.bundles.list_bundles(region=region, include_closed=include_closed)
