"""A bundle (一件事) spoken of as one thing: the applicant is told once that the bundle was
received (not once per item), of each item's result as the bundle's progress, and once of the
bundle's end. Pure: what is kept of a bundle and what its messages are given."""

from __future__ import annotations

from typing import Any

from shared.contracts import BundleInfo

Doc = dict[str, Any]

# The case fields a bundle's contact document copies from its first item's registration.
CONTACT_FIELDS = (
    "applicant_id",
    "applicant_name",
    "applicant_kind",
    "phone",
    "email",
    "phone_verified",
    "email_verified",
    "locale",
    "region",
    "submitted_at",
)


def bundle_contact(case: Doc, bundle_id: str, info: BundleInfo) -> Doc:
    """The bundle's own document, shaped like a case's (kept with them, under the bundle id):
    events about the bundle as a whole (its end, its rating's rectification) find their
    applicant there."""
    return {
        "_id": bundle_id,
        **{k: case.get(k) for k in CONTACT_FIELDS},
        "bundle": True,
        "item_code": info.code,
        "item_name": info.name,
        "items": [i.model_dump() for i in info.items],
    }


def bundle_context(bundle: Doc) -> Doc:
    """What the bundle templates read: ``bundle.id``, ``bundle.name``, ``bundle.item_names`` (the
    items' names in the bundle's order), ``bundle.count`` and ``bundle.owed``: per item accepted
    with gaps (容缺受理), ``item_name``, ``materials`` (their names), ``due_at`` and
    ``due_provisional``, in the bundle's order (empty when nothing is owed)."""
    items = bundle.get("items", [])
    names = [str(i["item_name"]) for i in items]
    return {
        "bundle": {
            "id": bundle["_id"],
            "name": bundle.get("item_name", ""),
            "item_names": names,
            "count": len(names),
            "owed": [_owed(i["item_name"], o) for i in items if (o := i.get("owed"))],
        }
    }


def _owed(item_name: str, owed: Doc) -> Doc:
    return {
        "item_name": item_name,
        "materials": [str(m["name"]) for m in owed["materials"]],
        "due_at": owed["due_at"],
        "due_provisional": bool(owed.get("due_provisional")),
    }


def is_bundle(doc: Doc | None) -> bool:
    return doc is not None and bool(doc.get("bundle"))
