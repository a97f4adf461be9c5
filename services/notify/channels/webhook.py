"""Webhooks: the original CloudEvent POSTed to a subscriber, signed with its secret."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from services.notify.domain import ChannelName, SendResult, classify_webhook_status
from services.notify.ports import Message, SubscriptionStore
from services.notify.settings import NotifySettings
from services.notify.signing import signed_headers


class WebhookChannel:
    name = ChannelName.WEBHOOK

    def __init__(
        self,
        settings: NotifySettings,
        client: httpx.AsyncClient,
        subscriptions: SubscriptionStore,
        *,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        # Signature timestamps are wall time, whatever the (possibly simulated) domain clock:
        # receivers compare them with their own clocks to refuse replays.
        self.wall_clock = wall_clock
        self.client = client
        self.subscriptions = subscriptions

    async def send(self, message: Message) -> SendResult:
        sub = await self.subscriptions.get(message.address)
        if sub is None or not sub.get("active", True):
            return SendResult.permanent("webhook subscription removed")
        headers = signed_headers(
            sub["secret"], int(self.wall_clock()), message.payload, message.delivery_id
        )
        headers["Content-Type"] = "application/cloudevents+json; charset=UTF-8"
        headers["X-Egov-Event-Type"] = message.event_type
        try:
            response = await self.client.post(
                sub["url"],
                content=message.payload,
                headers=headers,
                timeout=self.settings.webhook_timeout_s,
            )
        except httpx.HTTPError as exc:
            return SendResult.retry(f"webhook unreachable: {type(exc).__name__}")
        return classify_webhook_status(response.status_code)
