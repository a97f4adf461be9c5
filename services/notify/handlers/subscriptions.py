"""What the webhook API checks before it changes a subscription: the integrator's grant, who may
see which subscription, new signing secrets."""

from __future__ import annotations

import base64
import secrets

from services.notify.domain import SECRET_PREFIX, WebhookScope, scope_of
from services.notify.handlers.deps import Deps
from services.notify.ports import Doc
from shared.auth import Principal
from shared.observability.errors import Forbidden, NotFound


def new_secret() -> Doc:
    value = SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()
    return {"id": secrets.token_hex(4), "secret": value}


async def grant_of(deps: Deps, principal: Principal, owner: str) -> WebhookScope:
    """What ``owner`` (the caller, or an integrator an admin subscribes for) may receive."""
    if owner != principal.subject and not principal.has_any("admin"):
        raise Forbidden("owner: only an admin subscribes for another integrator")
    integrator = await deps.integrators.get(owner)
    grant = scope_of(integrator) if integrator and integrator.get("active", True) else None
    if grant is None:
        raise Forbidden(
            f"{owner!r} is not a registered integrator (an admin registers integrators)"
        )
    return grant


async def visible_subscription(
    deps: Deps, subscription_id: str, principal: Principal, *, own: bool
) -> Doc:
    """The subscription if the caller owns it (or, when ``own`` is False, is an admin); another
    owner's subscription is answered like one that does not exist."""
    doc = await deps.subscriptions.get(subscription_id)
    mine = doc is not None and doc.get("owner") == principal.subject
    if doc is None or not (mine or (not own and principal.has_any("admin"))):
        raise NotFound("no such subscription of yours")
    return doc
