"""Handlers for what applicants hear about: registration, pre-review, decision, rating,
rectification answers and credit changes (plus the officers told about rectifications)."""

from __future__ import annotations

from typing import Any

from services.notify.domain import Recipient, RoleQuery
from services.notify.domain.bundles import bundle_context, is_bundle
from services.notify.domain.subjects import subject_contact
from services.notify.handlers.bundles import bundle_progress, bundle_received
from services.notify.handlers.deps import Deps
from services.notify.handlers.notifier import applicant_from_case, notify, officers_for
from services.notify.handlers.parking import handle_parked, park
from services.notify.handlers.webhooks import webhooks_only
from services.notify.ports import Doc
from shared.contracts import (
    CaseDecided,
    CaseSubmitted,
    CreditChanged,
    Envelope,
    PreReviewDone,
    RatingInvited,
    RectificationClosed,
    RectificationOpened,
)
from shared.contracts.common import SubjectKind


async def _applicant_or_park(
    deps: Deps, envelope: Envelope, data: Any, template: str
) -> tuple[Recipient, Doc] | None:
    """The case's applicant, or None after parking the event until CaseSubmitted arrives (the
    topics are read in parallel, so a stage event can overtake its case's registration)."""
    case = await deps.projections.get_case(data.case_id)
    if case is None:
        if not await park(deps, data.case_id, envelope):
            await webhooks_only(deps, envelope, data, template)
        return None
    return applicant_from_case(case), case


async def _to_applicant(
    deps: Deps, envelope: Envelope, data: Any, template: str, department: str
) -> None:
    found = await _applicant_or_park(deps, envelope, data, template)
    if found is None:
        return
    recipient, case = found
    await notify(
        deps,
        envelope,
        data,
        template=template,
        recipients=[recipient],
        case=case,
        department=department,
        # an event about a bundle as a whole (its invitation to rate) speaks of the bundle
        extra=bundle_context(case) if is_bundle(case) else None,
    )


async def on_case_submitted(deps: Deps, envelope: Envelope, data: CaseSubmitted) -> None:
    case = {
        "_id": data.case_id,
        "applicant_id": data.applicant.id_number,
        "applicant_name": data.applicant.name,
        "applicant_kind": data.applicant.kind.value,
        "phone": data.contact.phone,
        "email": data.contact.email,
        "phone_verified": data.contact.phone_verified,
        "email_verified": data.contact.email_verified,
        "locale": data.contact.locale,
        "department": data.department,
        "item_code": data.item_code,
        "item_name": data.item_name,
        "region": data.handling_region,
        "submitted_at": data.submitted_at,
        "bundle_id": data.bundle_id,
    }
    parked = await deps.projections.save_case(case)
    if not await bundle_received(deps, envelope, data, case):
        await notify(
            deps,
            envelope,
            data,
            template="case_received",
            recipients=[applicant_from_case(case)],
            case=case,
            department=data.department,
        )
    if parked:  # events that overtook this registration: handle them now, in order
        await handle_parked(deps, data.case_id)
    if data.bundle_id is not None:  # the bundle's own events (its rectification's answer)
        await handle_parked(deps, data.bundle_id)


async def on_prereview_done(deps: Deps, envelope: Envelope, data: PreReviewDone) -> None:
    await _to_applicant(deps, envelope, data, "prereview_done", data.department)


async def on_case_decided(deps: Deps, envelope: Envelope, data: CaseDecided) -> None:
    case = await deps.projections.get_case(data.case_id)
    if case is not None and await bundle_progress(deps, envelope, data, case):
        return
    await _to_applicant(deps, envelope, data, "case_decided", data.department)


async def on_rating_invited(deps: Deps, envelope: Envelope, data: RatingInvited) -> None:
    case = await deps.projections.get_case(data.case_id)
    await _to_applicant(deps, envelope, data, "rating_invited", (case or {}).get("department", ""))


async def on_rectification_opened(
    deps: Deps, envelope: Envelope, data: RectificationOpened
) -> None:
    recipients = await officers_for(
        deps,
        [
            RoleQuery(role="department_head", department=data.department),
            RoleQuery(role="section_chief", department=data.department),
        ],
    )
    case = await deps.projections.get_case(data.case_id)
    await notify(
        deps,
        envelope,
        data,
        template="rectification_opened",
        recipients=recipients,
        case=case,
        department=data.department,
    )


async def on_rectification_closed(
    deps: Deps, envelope: Envelope, data: RectificationClosed
) -> None:
    await _to_applicant(deps, envelope, data, "rectification_closed", data.department)


async def on_credit_changed(deps: Deps, envelope: Envelope, data: CreditChanged) -> None:
    recipients: list[Recipient] = []
    department = ""
    if data.subject_kind is SubjectKind.DEPARTMENT:
        department = data.subject_id
        recipients = await officers_for(
            deps, [RoleQuery(role="department_head", department=data.subject_id)]
        )
    else:
        subject = await deps.projections.get_subject(data.subject_id)
        contact = subject_contact(data.subject_id, subject)
        if contact is not None:  # only at a contact verified as the subject's own
            recipients = [applicant_from_case(contact)]
    await notify(
        deps,
        envelope,
        data,
        template="credit_changed",
        recipients=recipients,
        case=None,
        department=department,
    )
