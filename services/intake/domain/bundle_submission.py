"""What an applicant submits for a bundle (POST /v1/bundles): one form, each material once."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services.intake.domain.bundle_case import BundleApplication, BundledCase
from services.intake.domain.bundles import Bundle
from services.intake.domain.case import CaseRecord
from services.intake.domain.catalog import ItemStatus, ServiceItem
from services.intake.domain.errors import Conflict, FieldError, Invalid
from services.intake.domain.owed import owed_view
from services.intake.domain.submission import ApplicantIn, ContactIn, hash_verification_code
from shared.contracts.common import Channel, JsonObject, Material, RegionCode, SubmittedBy


class BundleSubmissionIn(BaseModel):
    """The body of ``POST /v1/bundles``: the bundle's shared fields in ``form`` and its
    materials by the bundle's material codes, each once."""

    model_config = ConfigDict(extra="forbid")

    bundle_code: str = Field(min_length=1, max_length=40)
    applicant: ApplicantIn
    contact: ContactIn = ContactIn()
    form: JsonObject = Field(default_factory=dict)
    materials: list[Material] = Field(default_factory=list, max_length=200)
    channel: Channel = Channel.WEB
    receiving_region: RegionCode
    accept_with_gaps: bool = Field(
        False,
        description="ask for 容缺受理 for each item that misses a material: accepted with the "
        "material owed where the item's rules allow it, as a lone case is",
    )

    def fingerprint(self) -> str:
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()


def check_offered(bundle: Bundle, *, channel: Channel, receiving_region: str) -> None:
    """A closed bundle is 409; a channel or hall it is not offered on is 422 naming it."""
    if bundle.status == ItemStatus.CLOSED:
        raise Conflict(f"bundle {bundle.code} ({bundle.name}) is closed to new applications")
    errors = []
    if channel not in bundle.channels:
        errors.append(FieldError("channel", f"{bundle.name} is not offered on {channel.value}"))
    if receiving_region not in bundle.offered_regions:
        errors.append(
            FieldError("receiving_region", f"{bundle.name} is not offered in {receiving_region}")
        )
    if errors:
        raise Invalid("the submission is not valid", errors)


def without_provided(item: ServiceItem, bundle: Bundle) -> ServiceItem:
    """The item as the applicant must satisfy it in the bundle: the materials an upstream
    item's e-licence provides are not asked."""
    provided = {p.material for p in bundle.provided_for(item.code)}
    kept = [m for m in item.materials if m.code not in provided]
    return item.model_copy(update={"materials": kept})


def asks_gaps(item: ServiceItem, materials: list[Material], *, asked: bool) -> bool:
    """Whether an item's share asks for accept-with-gaps: the bundle asked, and the item misses
    a required material (an item missing nothing is simply complete, whatever it allows)."""
    given = {m.code for m in materials}
    return asked and any(code not in given for code in item.required_materials)


def item_errors(item_code: str, errors: list[FieldError]) -> list[FieldError]:
    """An item's own check, named under the item (``items.<code>.form``…)."""
    return [FieldError(f"items.{item_code}.{e.field}", e.message) for e in errors]


def new_application(
    bundle: Bundle,
    body: BundleSubmissionIn,
    by: SubmittedBy,
    cases: list[CaseRecord],
    names: Mapping[str, str],
    *,
    code: str,
    at: datetime,
    due_at: datetime,
    due_provisional: bool,
) -> BundleApplication:
    """The application as intake keeps it, with a snapshot of the bundle's structure."""
    bundle_id = cases[0].bundle_id
    assert bundle_id is not None
    return BundleApplication(
        bundle_id=bundle_id,
        bundle_code=bundle.code,
        bundle_name=bundle.name,
        bundle_version=bundle.version,
        region=bundle.region,
        lead_department=bundle.lead_department,
        applicant=body.applicant.to_applicant(),
        channel=body.channel,
        receiving_region=body.receiving_region,
        submitted_by=by,
        submitted_at=at,
        promised_limit=bundle.promised_limit,
        due_at=due_at,
        due_provisional=due_provisional,
        items=[
            BundledCase(
                item_code=c.item_code,
                item_name=names[c.item_code],
                case_id=c.case_id,
                after=bundle.upstream(c.item_code),
                provided=bundle.provided_for(c.item_code),
            )
            for c in cases
        ],
        verification_hash=hash_verification_code(bundle_id, code),
    )


def receipt(app: BundleApplication, cases: list[CaseRecord], code: str) -> dict[str, Any]:
    """The answer to ``POST /v1/bundles`` (replayed as it is for the same Idempotency-Key)."""
    return {
        "bundle_id": app.bundle_id,
        "bundle_code": app.bundle_code,
        "bundle_name": app.bundle_name,
        "verification_code": code,
        "submitted_at": app.submitted_at.isoformat(),
        "promised_limit": app.promised_limit.model_dump(mode="json"),
        "deadline": app.due_at.isoformat(),
        "items": [_receipt_item(c) for c in cases],
        "tracking_url": f"/v1/bundles/{app.bundle_id}",
    }


def _receipt_item(case: CaseRecord) -> dict[str, Any]:
    item = {"item_code": case.item_code, "case_id": case.case_id, "status": case.status.value}
    if case.owed is not None:  # 容缺受理: told at once what the item owes and by when
        item.update(owed_view(case))
    return item
