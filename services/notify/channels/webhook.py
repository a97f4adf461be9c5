"""Webhooks: the CloudEvent, minimised to the subscription's scope, POSTed to the subscriber
and signed by the Standard Webhooks specification (https://www.standardwebhooks.com/).

Headers ``webhook-id`` (the delivery id: the same on every retry, receivers deduplicate on it),
``webhook-timestamp`` (Unix seconds of this attempt) and ``webhook-signature``: ``v1,<base64
HMAC-SHA256 of "id.timestamp.body">`` once per active secret of the subscription, separated by
spaces, so a receiver can rotate its secret without missing a delivery. The id is inside the
signature: a captured request cannot be replayed under another id.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import httpx
from standardwebhooks import Webhook

from services.notify.destinations import DestinationRefused, checked_destination
from services.notify.domain import (
    PERSONAL_DATA_ATTRIBUTE,
    ChannelName,
    SendResult,
    classify_webhook_status,
    subscription_scope,
)
from services.notify.ports import IntegratorStore, Message, Resolver, SubscriptionStore
from services.notify.settings import NotifySettings

CONTENT_TYPE = "application/cloudevents+json; charset=UTF-8"


def signature_headers(
    secrets: Sequence[str], *, message_id: str, at: datetime, body: bytes
) -> dict[str, str]:
    """The three Standard Webhooks headers, one signature per secret."""
    stamp = datetime.fromtimestamp(int(at.timestamp()), tz=UTC)
    text = body.decode("utf-8")
    signatures = [Webhook(s).sign(message_id, stamp, text) for s in secrets]
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(stamp.timestamp())),
        "webhook-signature": " ".join(signatures),
    }


def carries_personal_data(payload: bytes) -> bool:
    try:
        event = json.loads(payload)
    except ValueError:
        return True  # unknown: treat as the most sensitive
    return not (isinstance(event, dict) and event.get(PERSONAL_DATA_ATTRIBUTE) == "removed")


class WebhookChannel:
    name = ChannelName.WEBHOOK

    def __init__(
        self,
        settings: NotifySettings,
        client: httpx.AsyncClient,
        subscriptions: SubscriptionStore,
        integrators: IntegratorStore,
        resolver: Resolver,
        *,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.client = client
        self.subscriptions = subscriptions
        self.integrators = integrators
        self.resolver = resolver
        # Signature timestamps are wall time, whatever the (possibly simulated) domain clock:
        # receivers compare them with their own clocks to refuse replays.
        self.wall_clock = wall_clock

    async def send(self, message: Message) -> SendResult:
        sub = await self.subscriptions.get(message.address)
        if sub is None or not sub.get("active", True):
            return SendResult.permanent("webhook subscription removed")
        integrator = await self.integrators.get(str(sub.get("owner", "")))
        scope = subscription_scope(sub, integrator)
        if scope is None:
            return SendResult.permanent("webhook subscription's integrator is not registered")
        if carries_personal_data(message.payload) and not scope.personal_data:
            return SendResult.permanent("personal data no longer granted to this subscription")
        secrets = [str(s["secret"]) for s in sub.get("secrets") or []]
        if not secrets:
            return SendResult.permanent("webhook subscription has no secret")
        try:
            destination = await checked_destination(
                str(sub["url"]), self.resolver, allow_insecure=self.settings.webhook_allow_insecure
            )
        except DestinationRefused as exc:
            if exc.retryable:
                return SendResult.retry(f"webhook destination: {exc}")
            return SendResult.permanent(f"webhook destination refused: {exc}")
        headers = signature_headers(
            secrets,
            message_id=message.delivery_id,
            at=datetime.fromtimestamp(self.wall_clock(), tz=UTC),
            body=message.payload,
        )
        headers |= {
            "Content-Type": CONTENT_TYPE,
            "X-Egov-Event-Type": message.event_type,
            "Host": destination.host_header(),
        }
        # To the address just checked, never a fresh look-up; TLS still verifies the host name.
        extensions = (
            {"sni_hostname": destination.host} if destination.url.startswith("https") else {}
        )
        try:
            response = await self.client.post(
                destination.pinned_url(),
                content=message.payload,
                headers=headers,
                timeout=self.settings.webhook_timeout_s,
                extensions=extensions,
            )
        except httpx.HTTPError as exc:
            return SendResult.retry(f"webhook unreachable: {type(exc).__name__}")
        return classify_webhook_status(response.status_code)
