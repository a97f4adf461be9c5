"""Catalog items: the start-up load from YAML and the admin operations (``ITEMS``: create,
replace, close, one), each chained with who made it (chain intake.catalog, one per item code),
through the one admin flow of versioned definitions (services/intake/handlers/definitions.py)."""

from __future__ import annotations

from services.intake.domain import FieldError, ServiceItem, catalog_errors
from services.intake.handlers.catalog_events import catalog_event
from services.intake.handlers.definitions import Definitions
from services.intake.handlers.deps import Deps

CATALOG_CHAIN = "intake.catalog"


async def item_problems(deps: Deps, item: ServiceItem) -> list[FieldError]:
    return catalog_errors(item, deps.departments, deps.regions)


ITEMS: Definitions[ServiceItem] = Definitions(
    kind="item",
    chain=CATALOG_CHAIN,
    yaml_key="items",
    parse=ServiceItem.model_validate,
    get=lambda deps, code: deps.store.get_item(code),
    # the item on the bus (egov.catalog), in the transaction that writes it
    insert=lambda deps, item, s: deps.store.insert_item(
        item, session=s, events=[catalog_event(item, at=deps.clock.now())]
    ),
    replace=lambda deps, item, v, s: deps.store.replace_item(
        item, expected_version=v, session=s, events=[catalog_event(item, at=deps.clock.now())]
    ),
    problems=item_problems,
)


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
