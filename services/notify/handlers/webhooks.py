"""Which webhook subscriptions receive an event, and the event as each may see it."""

from __future__ import annotations

import json
from datetime import datetime

from services.notify.domain import (
    ChannelName,
    RecipientKind,
    delivery_id,
    minimised_event,
    subscription_scope,
)
from services.notify.handlers.deps import Deps
from services.notify.ports import Doc
from shared.contracts import Envelope, EventData
from shared.contracts.common import SubjectKind
from shared.reference import departments


def event_region(data: EventData, case: Doc | None) -> str | None:
    """The region an event is about, for webhook scopes (None: it names none)."""
    for name in ("handling_region", "region"):
        value = getattr(data, name, None)
        if value:
            return str(value)
    if case is not None and case.get("region"):
        return str(case["region"])
    if getattr(data, "subject_kind", None) is SubjectKind.DEPARTMENT:
        dept = departments().get(str(getattr(data, "subject_id", "")))
        return dept.region if dept is not None else None
    return None


async def webhook_deliveries(
    deps: Deps,
    envelope: Envelope,
    data: EventData,
    template: str,
    now: datetime,
    case: Doc | None = None,
) -> list[Doc]:
    """One delivery per subscription whose current scope covers the event, carrying the event
    as that scope may see it (personal data removed unless granted)."""
    subs = await deps.subscriptions.for_event_type(envelope.type)
    if not subs:
        return []
    case_id = getattr(data, "case_id", None)
    if case is None and case_id:
        case = await deps.projections.get_case(case_id)
    region = event_region(data, case)
    event = json.loads(envelope.to_json_bytes())
    integrators: dict[str, Doc | None] = {}
    docs = []
    for sub in subs:
        owner = str(sub.get("owner", ""))
        if owner not in integrators:
            integrators[owner] = await deps.integrators.get(owner) if owner else None
        scope = subscription_scope(sub, integrators[owner])
        if scope is None or not scope.allows(envelope.type, region):
            continue
        payload = minimised_event(event, personal_data=scope.personal_data)
        sub_id = str(sub["_id"])
        docs.append(
            {
                "_id": delivery_id(envelope.id, sub_id, ChannelName.WEBHOOK.value),
                "event_id": envelope.id,
                "event_type": envelope.type,
                "correlation_id": envelope.correlationid,
                "case_id": case_id,
                "template": template,
                "recipient_key": sub_id,
                "recipient_kind": RecipientKind.SYSTEM.value,
                "channel": ChannelName.WEBHOOK.value,
                "address": sub_id,
                "payload": json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode(),
                "status": "pending",
                "attempts": 0,
                "due_at": now,
                "lease_until": now,
                "created_at": now,
                "source_time": envelope.time,
            }
        )
    return docs


async def webhooks_only(deps: Deps, envelope: Envelope, data: EventData, template: str) -> None:
    docs = await webhook_deliveries(deps, envelope, data, template, deps.clock.now())
    if docs:
        await deps.dispatcher.send(await deps.dispatcher.record(docs))
