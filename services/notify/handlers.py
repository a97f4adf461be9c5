"""Event handlers of the notify service and their routing table (event type -> handler).

Each handler takes the envelope, its payload and the ports (``Deps``); ``bind(deps)`` gives the
table the consumer calls. Handlers are idempotent: deliveries have deterministic ids under a
unique index, so a replayed event records and sends nothing new.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from services.notify.domain import (
    Recipient,
    RoleQuery,
    escalation_queries,
    officer_recipient,
)
from services.notify.notifier import (
    Deps,
    applicant_from_case,
    notify,
    officer_by_id,
    officers_for,
    webhooks_only,
)
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
    StageOpened,
    StageOverdue,
    StageSignedIn,
    StageWarned,
    SupervisionEscalated,
    SupervisionFinding,
    model_for,
)
from shared.contracts.common import SubjectKind
from shared.kafka import Handler

log = logging.getLogger(__name__)

NotifyHandler = Callable[[Envelope, Any, Deps], Awaitable[None]]


async def _applicant_or_park(
    deps: Deps, envelope: Envelope, data: Any, template: str
) -> tuple[Recipient, Doc] | None:
    """The case's applicant, or None after parking the event until CaseSubmitted arrives (the
    topics are read in parallel, so a stage event can overtake its case's registration)."""
    case = await deps.projections.get_case(data.case_id)
    if case is None:
        await deps.projections.park(data.case_id, envelope, deps.clock.now())
        await webhooks_only(deps, envelope, data, template)
        log.info(
            "%s for case %s parked until its contact data arrives", envelope.type, data.case_id
        )
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
    )


async def _assignee_or_role(
    deps: Deps, assignee: str | None, role: str, department: str
) -> list[Recipient]:
    officer = await officer_by_id(deps, assignee)
    if officer is not None:
        return [officer_recipient(officer)]
    return await officers_for(deps, [RoleQuery(role=role, department=department)])


# --- cases -------------------------------------------------------------------------------------


async def on_case_submitted(envelope: Envelope, data: CaseSubmitted, deps: Deps) -> None:
    case = {
        "_id": data.case_id,
        "applicant_id": data.applicant.id_number,
        "applicant_name": data.applicant.name,
        "applicant_kind": data.applicant.kind.value,
        "phone": data.contact.phone,
        "email": data.contact.email,
        "locale": data.contact.locale,
        "department": data.department,
        "item_code": data.item_code,
        "item_name": data.item_name,
        "region": data.handling_region,
        "submitted_at": data.submitted_at,
    }
    await deps.projections.save_case(case)
    await notify(
        deps,
        envelope,
        data,
        template="case_received",
        recipients=[applicant_from_case(case)],
        case=case,
        department=data.department,
    )
    for parked in await deps.projections.take_parked(data.case_id):
        handler = HANDLERS.get(parked.type)
        if handler is not None:
            await handler(parked, model_for(parked.type).model_validate(parked.data), deps)


async def on_prereview_done(envelope: Envelope, data: PreReviewDone, deps: Deps) -> None:
    await _to_applicant(deps, envelope, data, "prereview_done", data.department)


async def on_case_decided(envelope: Envelope, data: CaseDecided, deps: Deps) -> None:
    await _to_applicant(deps, envelope, data, "case_decided", data.department)


async def on_rating_invited(envelope: Envelope, data: RatingInvited, deps: Deps) -> None:
    case = await deps.projections.get_case(data.case_id)
    await _to_applicant(deps, envelope, data, "rating_invited", (case or {}).get("department", ""))


async def on_rectification_opened(
    envelope: Envelope, data: RectificationOpened, deps: Deps
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
    envelope: Envelope, data: RectificationClosed, deps: Deps
) -> None:
    await _to_applicant(deps, envelope, data, "rectification_closed", data.department)


# --- stages and supervision --------------------------------------------------------------------


async def on_stage_opened(envelope: Envelope, data: StageOpened, deps: Deps) -> None:
    await deps.projections.save_stage(
        data.stage_id,
        {
            "case_id": data.case_id,
            "department": data.department,
            "region": data.region,
            "stage": data.stage.value,
            "assignee": data.assignee,
            "required_role": data.required_role,
        },
    )
    recipients = await _assignee_or_role(deps, data.assignee, data.required_role, data.department)
    case = await deps.projections.get_case(data.case_id)
    await notify(
        deps,
        envelope,
        data,
        template="task_assigned",
        recipients=recipients,
        case=case,
        department=data.department,
    )


async def on_stage_signed_in(envelope: Envelope, data: StageSignedIn, deps: Deps) -> None:
    # No message: remember who holds the task, so later alerts reach that officer.
    await deps.projections.save_stage(data.stage_id, {"assignee": data.officer})


async def _stage_alert(
    envelope: Envelope, data: StageWarned | StageOverdue, deps: Deps, template: str, urgent: bool
) -> None:
    stage = await deps.projections.get_stage(data.stage_id) or {}
    assignee = data.assignee or stage.get("assignee")
    role = str(stage.get("required_role") or "handler")
    recipients = await _assignee_or_role(deps, assignee, role, data.department)
    case = await deps.projections.get_case(data.case_id)
    await notify(
        deps,
        envelope,
        data,
        template=template,
        recipients=recipients,
        case=case,
        department=data.department,
        urgent=urgent,
    )


async def on_stage_warned(envelope: Envelope, data: StageWarned, deps: Deps) -> None:
    await _stage_alert(envelope, data, deps, "stage_warned", urgent=False)


async def on_stage_overdue(envelope: Envelope, data: StageOverdue, deps: Deps) -> None:
    await _stage_alert(envelope, data, deps, "stage_overdue", urgent=True)


async def on_supervision_escalated(
    envelope: Envelope, data: SupervisionEscalated, deps: Deps
) -> None:
    stage = await deps.projections.get_stage(data.stage_id) or {}
    assignee = await officer_by_id(deps, stage.get("assignee"))
    roles = list(data.recipients)
    recipients: list[Recipient] = []
    if assignee is not None and "handler" in roles:
        # The rung's "handler" is the officer holding the task when we know who that is.
        roles.remove("handler")
        recipients.append(officer_recipient(assignee))
    section = assignee.section if assignee is not None else None
    recipients += await officers_for(
        deps,
        escalation_queries(roles, department=data.department, region=data.region, section=section),
    )
    case = await deps.projections.get_case(data.case_id)
    await notify(
        deps,
        envelope,
        data,
        template="supervision_escalated",
        recipients=recipients,
        case=case,
        department=data.department,
        urgent=True,
    )


async def on_supervision_finding(envelope: Envelope, data: SupervisionFinding, deps: Deps) -> None:
    recipients = await officers_for(
        deps,
        [
            RoleQuery(role="supervisor", department=data.department),
            RoleQuery(role="inspector", region=data.region),
        ],
    )
    case = await deps.projections.get_case(data.case_id)
    await notify(
        deps,
        envelope,
        data,
        template="supervision_finding",
        recipients=recipients,
        case=case,
        department=data.department,
    )


# --- credit ------------------------------------------------------------------------------------


async def on_credit_changed(envelope: Envelope, data: CreditChanged, deps: Deps) -> None:
    recipients: list[Recipient] = []
    department = ""
    if data.subject_kind is SubjectKind.DEPARTMENT:
        department = data.subject_id
        recipients = await officers_for(
            deps, [RoleQuery(role="department_head", department=data.subject_id)]
        )
    else:
        subject = await deps.projections.get_subject(data.subject_id)
        if subject is not None:  # only subjects who gave us contact data can be told
            contact = {"applicant_id": data.subject_id, "applicant_name": subject["name"]}
            recipients = [applicant_from_case(subject | contact)]
    await notify(
        deps,
        envelope,
        data,
        template="credit_changed",
        recipients=recipients,
        case=None,
        department=department,
    )


HANDLERS: dict[str, NotifyHandler] = {
    CaseSubmitted.event_type: on_case_submitted,
    PreReviewDone.event_type: on_prereview_done,
    StageOpened.event_type: on_stage_opened,
    StageSignedIn.event_type: on_stage_signed_in,
    StageWarned.event_type: on_stage_warned,
    StageOverdue.event_type: on_stage_overdue,
    SupervisionEscalated.event_type: on_supervision_escalated,
    SupervisionFinding.event_type: on_supervision_finding,
    CaseDecided.event_type: on_case_decided,
    RectificationOpened.event_type: on_rectification_opened,
    RectificationClosed.event_type: on_rectification_closed,
    CreditChanged.event_type: on_credit_changed,
    RatingInvited.event_type: on_rating_invited,
}

# Event types other systems may subscribe to by webhook (those notify handles).
WEBHOOK_EVENT_TYPES = frozenset(HANDLERS) - {StageSignedIn.event_type}


def bind(deps: Deps) -> dict[str, Handler]:
    """The routing table with the ports filled in, as the consumer expects it."""

    def bound(handler: NotifyHandler) -> Handler:
        async def run(envelope: Envelope, data: Any) -> None:
            await handler(envelope, data, deps)

        return run

    return {event_type: bound(handler) for event_type, handler in HANDLERS.items()}
