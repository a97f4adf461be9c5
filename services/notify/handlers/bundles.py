"""A bundle's cases (一件事) told to the applicant as one thing (docs/notify.md#bundles): one
message when the bundle is received instead of one per item, each item's decision as the
bundle's progress, and one message at the bundle's end (its clock closing). Webhooks still
carry every case event as it is. Rules: services/notify/domain/bundles.py."""

from __future__ import annotations

from services.notify.domain.bundles import bundle_contact, bundle_context, is_bundle
from services.notify.handlers.deps import Deps
from services.notify.handlers.notifier import applicant_from_case, notify
from services.notify.handlers.parking import park
from services.notify.handlers.webhooks import webhooks_only
from services.notify.ports import Doc
from shared.contracts import (
    CaseDecided,
    CaseSubmitted,
    Envelope,
    StageClosed,
    StageKind,
    derived_event_id,
)


async def bundle_received(deps: Deps, envelope: Envelope, data: CaseSubmitted, case: Doc) -> bool:
    """For an item of a bundle: the bundle's document kept, and the applicant told once of the
    whole bundle (every item's registration derives the same message ids, so the later ones,
    released items included, add nothing). False for a lone case."""
    if data.bundle_id is None or data.bundle is None:
        return False
    bundle = bundle_contact(case, data.bundle_id, data.bundle)
    await deps.projections.save_case(bundle)
    once = envelope.model_copy(update={"id": derived_event_id("bundle.received", data.bundle_id)})
    await notify(
        deps,
        once,
        data,
        template="bundle_received",
        recipients=[applicant_from_case(bundle)],
        case=bundle,
        department=data.department,
        extra=bundle_context(bundle),
        webhooks=False,
    )
    await webhooks_only(deps, envelope, data, "case_received")
    return True


async def bundle_progress(deps: Deps, envelope: Envelope, data: CaseDecided, case: Doc) -> bool:
    """An item's decision told as its bundle's progress; False for a lone case."""
    bundle_id = case.get("bundle_id")
    bundle = await deps.projections.get_case(bundle_id) if bundle_id else None
    if bundle is None or not is_bundle(bundle):
        return False
    await notify(
        deps,
        envelope,
        data,
        template="bundle_progress",
        recipients=[applicant_from_case(bundle)],
        case=case,
        department=data.department,
        extra=bundle_context(bundle),
        webhooks=False,
    )
    await webhooks_only(deps, envelope, data, "case_decided")
    return True


async def on_stage_closed(deps: Deps, envelope: Envelope, data: StageClosed) -> None:
    """Only a bundle's own clock closing matters here: its outcome is settled (completed when
    every item was approved), told once. Any other stage closing tells nobody.

    The clock is keyed by the bundle id and its items' registrations travel on another topic,
    so the closing can reach notify before any item's registration has told it of the bundle:
    then it waits, parked under the bundle id, for the first item's case.submitted."""
    if data.stage is not StageKind.CASE_PROMISED:
        return
    bundle = await deps.projections.get_case(data.case_id)
    if bundle is None:
        await park(deps, data.case_id, envelope)
        return
    if not is_bundle(bundle):
        return
    await notify(
        deps,
        envelope,
        data,
        template="bundle_finished",
        recipients=[applicant_from_case(bundle)],
        case=bundle,
        department=data.department,
        extra=bundle_context(bundle),
        webhooks=False,
    )
