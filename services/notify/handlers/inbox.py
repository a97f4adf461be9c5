"""The signed-in applicant's or officer's inbox, as the caller may read it."""

from __future__ import annotations

from typing import Any

from services.notify.domain import mask_personal
from services.notify.handlers.deps import Deps
from services.notify.settings import NotifySettings
from shared.auth import Principal
from shared.identifiers import mask_text
from shared.observability.errors import NotFound


def sees_personal_data(principal: Principal, settings: NotifySettings) -> bool:
    if principal.has_any("applicant"):
        return True  # an applicant's inbox holds only their own case data
    return principal.has_any(*settings.personal_data_roles)


async def inbox_of(
    deps: Deps, principal: Principal, *, unread_only: bool, limit: int
) -> list[dict[str, Any]]:
    """The caller's notifications, personal data masked unless the caller may see it."""
    docs = await deps.inbox.list(principal.subject, unread_only=unread_only, limit=limit)
    unmasked = sees_personal_data(principal, deps.settings)
    items = []
    for d in docs:
        subject, body = d.get("subject", ""), d.get("body", "")
        if not unmasked:
            personal = list(d.get("personal") or [])
            subject = mask_text(mask_personal(subject, personal))
            body = mask_text(mask_personal(body, personal))
        items.append(
            {
                "id": str(d["_id"]),
                "case_id": d.get("case_id"),
                "template": d["template"],
                "subject": subject,
                "body": body,
                "created_at": d["created_at"],
                "read_at": d.get("read_at"),
                "masked": not unmasked,
            }
        )
    return items


async def mark_read(deps: Deps, item_id: str, principal: Principal) -> None:
    if not await deps.inbox.mark_read(item_id, principal.subject, deps.clock.now()):
        raise NotFound("no such notification in your inbox")
