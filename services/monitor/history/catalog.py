"""The service catalog as the history holds it (intake's ``egov.catalog``: one entry per item
code, its highest version kept) and what it counts for: items offered, fully online (全程网办),
zero-visit (零跑动). Pure.

The catalog is counted as it stands now, not as it stood in the period asked about: the topic
keeps each item's latest definition only, and the figures answer "how much of what the hall
offers can be done online", which is a property of the catalog, not of a period's cases. An
item counts where it is offered: its department and the region of its catalog entry; a
closed item (no longer offered) does not count.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import ValidationError

from shared.contracts import CatalogItemChanged, Envelope

log = logging.getLogger(__name__)

Entry = dict[str, Any]
CATALOG_TYPES = frozenset({CatalogItemChanged.event_type})
# The fields of an entry (no person: the catalog is public information).
FIELDS = ("version", "name", "department", "region", "status", "fully_online", "visits_required")


def entries(envelopes: Iterable[Envelope]) -> dict[str, Entry]:
    """The newest definition of each item a batch carries, as stored (``_id``: the item code);
    a malformed one is skipped (intake's own event: nothing else would read it either)."""
    out: dict[str, Entry] = {}
    for envelope in envelopes:
        if envelope.type not in CATALOG_TYPES:
            continue
        try:
            data = CatalogItemChanged.model_validate(envelope.data)
        except ValidationError as exc:
            log.warning("history: catalog event %s skipped: %s", envelope.id, exc)
            continue
        entry = {"_id": data.item_code, **data.model_dump(mode="json", include=set(FIELDS))}
        kept = out.get(data.item_code)
        if kept is None or kept["version"] < entry["version"]:
            out[data.item_code] = entry
    return out


def newer(entry: Entry, stored: Entry | None) -> bool:
    """Whether ``entry`` replaces ``stored``: versions only grow, whatever order they come in."""
    return stored is None or int(stored["version"]) < int(entry["version"])


def counters(entry: Entry) -> dict[str, float]:
    """What one offered item counts for (an item unit shows whether it is online, zero-visit)."""
    return {
        "items": 1.0,
        "items_fully_online": float(bool(entry["fully_online"])),
        "items_zero_visit": float(int(entry["visits_required"]) == 0),
    }


def offered(
    catalog: Iterable[Entry], *, region_prefix: str | None = None, **filters: str | None
) -> list[Entry]:
    """The open items within a scope; ``filters``: department, item_code (None: any)."""
    wanted = {("_id" if k == "item_code" else k): v for k, v in filters.items() if v is not None}
    return [
        e
        for e in catalog
        if e["status"] == "open"
        and all(e.get(k) == v for k, v in wanted.items())
        and (not region_prefix or str(e["region"]).startswith(region_prefix))
    ]


def units(catalog: Iterable[Entry], by: str | None) -> dict[str | None, dict[str, float]]:
    """The catalog's counters per value of ``by`` (department, region, item_code; None: all)."""
    out: dict[str | None, dict[str, float]] = {}
    for entry in catalog:
        unit = None if by is None else str(entry["_id" if by == "item_code" else by])
        into = out.setdefault(unit, {})
        for name, value in counters(entry).items():
            into[name] = into.get(name, 0.0) + value
    return out


def with_catalog(
    found: Mapping[str, Mapping[str, float]],
    catalog: Mapping[str | None, Mapping[str, float]],
    *,
    every_unit: bool,
) -> dict[str, dict[str, float]]:
    """Each unit's period counters with its catalog counters added; ``every_unit``: a unit
    with items but no case in the period is listed too (public statistics), else only the
    units with cases are (the assessment ranks those)."""
    names = set(found) | ({str(u) for u in catalog} if every_unit else set())
    out: dict[str, dict[str, float]] = {}
    for unit in sorted(names):
        merged = dict(found.get(unit, {}))
        for name, value in catalog.get(unit, {}).items():
            merged[name] = merged.get(name, 0.0) + value
        out[unit] = merged
    return out
