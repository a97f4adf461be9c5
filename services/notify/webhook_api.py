"""HTTP API of webhooks: integrators (admin) and their subscriptions (the owner).

- ``PUT/GET/DELETE /v1/webhook-integrators[/{subject}]`` (admin): who may subscribe, to which
  event types and regions, and whether with personal data.
- ``POST/GET /v1/webhooks``, ``GET/DELETE /v1/webhooks/{id}``: a registered integrator (role
  ``system``, or an admin) subscribes within its grant; the owner alone reads, deletes and
  rotates the secrets of its subscriptions (an admin may list and read all).
- ``POST /v1/webhooks/{id}/secrets``, ``DELETE /v1/webhooks/{id}/secrets/{secret_id}``: rotation.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, HttpUrl, field_validator

from services.notify.api import DepsDep
from services.notify.destinations import DestinationRefused, checked_destination
from services.notify.domain import (
    EVERY_REGION,
    SECRET_PREFIX,
    WebhookScope,
    secret_error,
)
from services.notify.handlers import WEBHOOK_EVENT_TYPES, admin, subscriptions
from services.notify.ports import Doc
from shared.auth import Principal, require_roles
from shared.observability.errors import Conflict, Forbidden, NotFound
from shared.reference import regions

router = APIRouter(prefix="/v1", tags=["webhooks"])

Admin = Annotated[Principal, require_roles("admin")]
Integrator = Annotated[Principal, require_roles("admin", "system")]
SUBJECT = r"^[A-Za-z0-9._:@-]{1,120}$"
SubjectPath = Annotated[str, Path(pattern=SUBJECT)]
SubscriptionPath = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,80}$")]


class ScopeIn(BaseModel):
    event_types: list[str] = Field(min_length=1, max_length=50)
    regions: list[str] | None = Field(
        None,
        max_length=50,
        description='region codes (GB/T 2260, known to the platform), or "*" for every region '
        "and for events without one",
    )
    personal_data: bool = Field(
        False, description="include the applicant's ID number, name, contact details and form"
    )

    @field_validator("event_types")
    @classmethod
    def _known_types(cls, value: list[str]) -> list[str]:
        unknown = [t for t in value if t not in WEBHOOK_EVENT_TYPES]
        if unknown:
            raise ValueError(
                f"cannot subscribe to {unknown}; "
                f"available: {', '.join(sorted(WEBHOOK_EVENT_TYPES))}"
            )
        return sorted(set(value))

    @field_validator("regions")
    @classmethod
    def _known_regions(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        if not value:
            raise ValueError("name at least one region (or omit the field for the whole grant)")
        known = regions()
        unknown = [r for r in value if r != EVERY_REGION and r not in known]
        if unknown:
            raise ValueError(
                f"unknown regions {unknown}; known: {', '.join(sorted(known))} or {EVERY_REGION!r}"
            )
        return sorted(set(value))

    def scope(self, default_regions: tuple[str, ...]) -> WebhookScope:
        return WebhookScope(
            event_types=tuple(self.event_types),
            regions=tuple(self.regions) if self.regions is not None else default_regions,
            personal_data=self.personal_data,
        )


class IntegratorIn(ScopeIn):
    regions: list[str] = Field(  # required here
        min_length=1, max_length=50, description='granted region codes, or "*" for all'
    )
    name: str = Field(min_length=1, max_length=120)
    active: bool = True


class SubscriptionIn(ScopeIn):
    url: HttpUrl = Field(description="https, resolving to public addresses only")
    secret: str | None = Field(
        None,
        max_length=200,
        description=f"Standard Webhooks secret ({SECRET_PREFIX} and base64 of 24-64 random "
        "bytes); generated when omitted",
    )
    description: str | None = Field(None, max_length=200)
    owner: str | None = Field(
        None, pattern=SUBJECT, description="admin only: the integrator it is made for"
    )

    @field_validator("secret")
    @classmethod
    def _standard_secret(cls, value: str | None) -> str | None:
        error = None if value is None else secret_error(value)
        if error is not None:
            raise ValueError(error)
        return value


def _field_error(field: str, message: str, value: Any) -> RequestValidationError:
    """A 422 naming the field, like pydantic's own, for checks that need I/O (DNS)."""
    return RequestValidationError(
        [{"type": "value_error", "loc": ("body", field), "msg": message, "input": value}]
    )


def _public(doc: Doc) -> dict[str, Any]:
    """A subscription as shown: secrets by id and age only, never their values."""
    return {
        "id": str(doc["_id"]),
        "owner": doc.get("owner"),
        "url": doc.get("url"),
        "event_types": list(doc.get("event_types") or []),
        "regions": list(doc.get("regions") or []),
        "personal_data": bool(doc.get("personal_data", False)),
        "description": doc.get("description"),
        "active": bool(doc.get("active", True)),
        "created_at": doc.get("created_at"),
        "created_by": doc.get("created_by"),
        "secrets": [
            {"id": s.get("id"), "created_at": s.get("created_at")} for s in doc.get("secrets") or []
        ],
    }


def _integrator_public(doc: Doc) -> dict[str, Any]:
    return {"subject": doc["_id"]} | {k: v for k, v in doc.items() if k != "_id"}


# --- integrators (admin) -----------------------------------------------------------------------


@router.put("/webhook-integrators/{subject}", summary="register an integrator and its grant")
async def put_integrator(
    subject: SubjectPath, body: IntegratorIn, principal: Admin, deps: DepsDep
) -> dict[str, Any]:
    grant = body.scope(())
    doc = {
        "_id": subject,
        "name": body.name,
        "event_types": list(grant.event_types),
        "regions": list(grant.regions),
        "personal_data": grant.personal_data,
        "active": body.active,
        "updated_at": deps.clock.now(),
        "updated_by": principal.subject,
    }
    await admin.put_integrator(deps.chaining, deps.integrators, doc, actor=principal)
    return _integrator_public(doc)


@router.get("/webhook-integrators", summary="registered integrators (admin)")
async def list_integrators(_: Admin, deps: DepsDep) -> list[dict[str, Any]]:
    return [_integrator_public(d) for d in await deps.integrators.all()]


@router.delete("/webhook-integrators/{subject}", status_code=204, summary="deregister")
async def remove_integrator(subject: SubjectPath, principal: Admin, deps: DepsDep) -> Response:
    doc = await deps.integrators.get(subject)
    if doc is None:
        raise NotFound("no such integrator")
    # Kept, inactive: its subscriptions stop at once (checked at every event and every send).
    inactive = doc | {"active": False, "updated_at": deps.clock.now()}
    await admin.put_integrator(
        deps.chaining,
        deps.integrators,
        inactive | {"updated_by": principal.subject},
        actor=principal,
    )
    return Response(status_code=204)


# --- subscriptions -----------------------------------------------------------------------------


@router.post("/webhooks", status_code=201, summary="subscribe a URL within the integrator's grant")
async def subscribe(body: SubscriptionIn, principal: Integrator, deps: DepsDep) -> dict[str, Any]:
    is_admin = principal.has_any("admin")
    owner = body.owner or principal.subject
    grant = await subscriptions.grant_of(deps, principal, owner)
    scope = body.scope(grant.regions)
    problems = scope.beyond(grant)
    if scope.personal_data and not is_admin:
        problems.setdefault("personal_data", "only an admin includes personal data")
    if problems:
        raise Forbidden("; ".join(f"{k}: {v}" for k, v in sorted(problems.items())))
    url = str(body.url)
    try:
        await checked_destination(
            url, deps.resolver, allow_insecure=deps.settings.webhook_allow_insecure
        )
    except DestinationRefused as exc:
        raise _field_error("url", str(exc), url) from None
    now = deps.clock.now()
    secret = subscriptions.new_secret() | {"created_at": now}
    if body.secret is not None:
        secret["secret"] = body.secret
    doc = {
        "_id": uuid.uuid4().hex,
        "owner": owner,
        "url": url,
        "event_types": list(scope.event_types),
        "regions": list(scope.regions),
        "personal_data": scope.personal_data,
        "secrets": [secret],
        "description": body.description,
        "active": True,
        "created_at": now,
        "created_by": principal.subject,
    }
    await admin.subscribe(deps.chaining, deps.subscriptions, doc, actor=principal)
    return _public(doc) | {"secret": secret["secret"]}  # shown once, at creation


@router.get("/webhooks", summary="the caller's subscriptions (an admin: all, or one owner's)")
async def list_subscriptions(
    principal: Integrator,
    deps: DepsDep,
    owner: Annotated[str | None, Query(pattern=SUBJECT)] = None,
) -> list[dict[str, Any]]:
    if not principal.has_any("admin"):
        owner = principal.subject
    return [_public(d) for d in await deps.subscriptions.owned_by(owner)]


@router.get("/webhooks/{subscription_id}", summary="one subscription (owner or admin)")
async def get_subscription(
    subscription_id: SubscriptionPath, principal: Integrator, deps: DepsDep
) -> dict[str, Any]:
    return _public(
        await subscriptions.visible_subscription(deps, subscription_id, principal, own=False)
    )


@router.delete("/webhooks/{subscription_id}", status_code=204, summary="unsubscribe (owner)")
async def unsubscribe(
    subscription_id: SubscriptionPath, principal: Integrator, deps: DepsDep
) -> Response:
    doc = await subscriptions.visible_subscription(deps, subscription_id, principal, own=True)
    if not await admin.unsubscribe(deps.chaining, deps.subscriptions, doc, actor=principal):
        raise NotFound("no such active subscription")
    return Response(status_code=204)


@router.post(
    "/webhooks/{subscription_id}/secrets", status_code=201, summary="add a signing secret (owner)"
)
async def add_secret(
    subscription_id: SubscriptionPath, principal: Integrator, deps: DepsDep
) -> dict[str, Any]:
    doc = await subscriptions.visible_subscription(deps, subscription_id, principal, own=True)
    if len(doc.get("secrets") or []) >= deps.settings.webhook_max_secrets:
        limit = deps.settings.webhook_max_secrets
        raise Conflict(f"already {limit} secrets: remove an old one first")
    secret = subscriptions.new_secret() | {"created_at": deps.clock.now()}
    if not await admin.add_secret(deps.chaining, deps.subscriptions, doc, secret, actor=principal):
        raise NotFound("no such active subscription")
    return secret  # the value is shown once, here


@router.delete(
    "/webhooks/{subscription_id}/secrets/{secret_id}",
    status_code=204,
    summary="retire a signing secret (owner; never the last one)",
)
async def remove_secret(
    subscription_id: SubscriptionPath,
    secret_id: Annotated[str, Path(pattern=r"^[0-9a-f]{1,16}$")],
    principal: Integrator,
    deps: DepsDep,
) -> Response:
    doc = await subscriptions.visible_subscription(deps, subscription_id, principal, own=True)
    ids = [s.get("id") for s in doc.get("secrets") or []]
    if secret_id not in ids:
        raise NotFound("no such secret")
    if not await admin.remove_secret(
        deps.chaining, deps.subscriptions, doc, secret_id, actor=principal
    ):
        raise Conflict("the last secret cannot be removed: add its successor first")
    return Response(status_code=204)
