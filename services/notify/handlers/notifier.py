"""The common path of every handler: resolve recipients, render, record deliveries, send.

Everything is rendered before anything is recorded: a broken template raises PermanentError and
nothing is sent (the event goes to the dead-letter topic with the reason).
"""

from __future__ import annotations

import logging
from datetime import datetime

from services.notify.domain import (
    ChannelName,
    Officer,
    Planned,
    Recipient,
    RecipientKind,
    RoleQuery,
    channels_for,
    delivery_id,
    officer_recipient,
    quiet_hours_apply,
    unique_recipients,
)
from services.notify.handlers.deps import Deps
from services.notify.handlers.webhooks import webhook_deliveries
from services.notify.metrics import DELIVERIES
from services.notify.ports import (
    Doc,
)
from shared.contracts import Envelope, EventData
from shared.reference import departments

log = logging.getLogger(__name__)

LOCALES = ("zh-CN", "en")


def department_name(code: str, locale: str) -> str:
    dept = departments().get(code)
    if dept is None:
        return code
    return dept.name_en if locale == "en" else dept.name


# --- recipients --------------------------------------------------------------------------------


def template_locale(locale: str | None) -> str:
    """The template locale for what an applicant asked for: ``en-GB`` reads English, anything
    without templates reads the default (zh-CN)."""
    if locale in LOCALES:
        return str(locale)
    if locale and locale.lower().startswith("en"):
        return "en"
    return "zh-CN"


def applicant_from_case(case: Doc) -> Recipient:
    return Recipient(
        key=case["applicant_id"],
        kind=RecipientKind.APPLICANT,
        name=case["applicant_name"],
        locale=template_locale(case.get("locale")),
        email=case.get("email"),
        phone=case.get("phone"),
    )


def personal_of(case: Doc | None) -> list[str]:
    if case is None:
        return []
    values = [
        case.get("applicant_name"),
        case.get("applicant_id"),
        case.get("phone"),
        case.get("email"),
    ]
    return [str(v) for v in values if v]


async def officers_for(deps: Deps, queries: list[RoleQuery]) -> list[Recipient]:
    found: list[Officer] = []
    for q in queries:
        if q.region is not None:
            offices = deps.offices_of_region(q.region)
            if offices:
                found += await deps.directory.officers(role=q.role, departments=offices)
            continue
        officers = await deps.directory.officers(
            role=q.role, department=q.department, section=q.section
        )
        if not officers and q.section is not None:  # no chief for that section: the department's
            officers = await deps.directory.officers(role=q.role, department=q.department)
        found += officers
    return unique_recipients([officer_recipient(o) for o in found])


async def officer_by_id(deps: Deps, officer_id: str | None) -> Officer | None:
    if not officer_id:
        return None
    officer = await deps.directory.get_officer(officer_id)
    return officer if officer is not None and officer.active else None


# --- the common path ---------------------------------------------------------------------------


def _context(
    recipient: Recipient, data: EventData, case: Doc | None, department: str, extra: Doc
) -> Doc:
    case_view = {
        "case_id": getattr(data, "case_id", None) or "",
        "item_name": (case or {}).get("item_name") or getattr(data, "item_code", "") or "",
        "item_code": (case or {}).get("item_code") or getattr(data, "item_code", "") or "",
        "applicant_name": (case or {}).get("applicant_name", ""),
    }
    return {
        "event": data,
        "recipient": recipient,
        "case": case_view,
        "department_name": department_name(department, recipient.locale),
        "department_code": department,
        **extra,
    }


async def notify(
    deps: Deps,
    envelope: Envelope,
    data: EventData,
    *,
    template: str,
    recipients: list[Recipient],
    case: Doc | None,
    department: str,
    urgent: bool = False,
    extra: Doc | None = None,
    webhooks: bool = True,
) -> list[str]:
    """Record and send one message per recipient and channel; returns the delivery ids.
    ``webhooks``: also deliver the event to the subscriptions that cover it."""
    now = deps.clock.now()
    planned: list[Planned] = []
    urgent_applicant = template in deps.settings.urgent_templates
    for recipient in unique_recipients(recipients):
        is_urgent = urgent or (recipient.kind is RecipientKind.APPLICANT and urgent_applicant)
        for channel, address in channels_for(recipient, urgent=is_urgent):
            rendered = deps.renderer.render(
                template,
                channel,
                recipient.locale,
                _context(recipient, data, case, department, extra or {}),
            )
            due_at, deferred = _due(deps, channel, recipient, is_urgent, now)
            planned.append(
                Planned(
                    id=delivery_id(envelope.id, recipient.key, channel.value),
                    channel=channel,
                    recipient=recipient,
                    address=address,
                    template=template,
                    subject=rendered.subject,
                    body=rendered.body,
                    urgent=is_urgent,
                    due_at=due_at,
                    deferred=deferred,
                    personal=personal_of(case),
                )
            )
    if not planned:
        _nobody_to_tell(envelope, template, department)
    docs = [_doc(p, envelope, data, now) for p in planned]
    if webhooks:
        docs += await webhook_deliveries(deps, envelope, data, template, now, case)
    if not docs:
        return []
    recorded = await deps.dispatcher.record(docs)
    for p in planned:
        if p.deferred:
            DELIVERIES.labels(p.channel.value, template, "deferred").inc()
    await deps.dispatcher.send(recorded)
    return [str(d["_id"]) for d in docs]


def _due(
    deps: Deps, channel: ChannelName, recipient: Recipient, urgent: bool, now: datetime
) -> tuple[datetime, bool]:
    """When to send: now, or at the end of quiet hours for what may wait (and whether it waits)."""
    if quiet_hours_apply(channel, recipient.kind, urgent=urgent):
        until = deps.quiet_hours.deferred_until(now)
        if until is not None:
            return until, True
    return now, False


def _nobody_to_tell(envelope: Envelope, template: str, department: str) -> None:
    # Nobody to tell (no officer with that role in the directory, no contact data): visible on
    # the dashboard instead of silently dropped.
    DELIVERIES.labels("none", template, "no_recipient").inc()
    log.warning(
        "%s: nobody to notify (template %s, department %s)",
        envelope.type,
        template,
        department or "-",
    )


def _doc(p: Planned, envelope: Envelope, data: EventData, now: datetime) -> Doc:
    return {
        "_id": p.id,
        "event_id": envelope.id,
        "event_type": envelope.type,
        "correlation_id": envelope.correlationid,
        "case_id": getattr(data, "case_id", None),
        "template": p.template,
        "recipient_key": p.recipient.key,
        "recipient_kind": p.recipient.kind.value,
        "channel": p.channel.value,
        "address": p.address,
        "locale": p.recipient.locale,
        "subject": p.subject,
        "body": p.body,
        "personal": p.personal,
        "urgent": p.urgent,
        "status": "pending",
        "attempts": 0,
        "due_at": p.due_at,
        "lease_until": now,
        "created_at": now,
        "source_time": envelope.time,
    }
