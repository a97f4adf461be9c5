"""SMS through an HTTP gateway; requests signed with HMAC-SHA256 (see docs/notify.md)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import httpx

from services.notify.domain import ChannelName, SendResult, classify_sms_answer
from services.notify.ports import Message
from services.notify.settings import NotifySettings
from services.notify.signing import signed_headers


class SmsChannel:
    name = ChannelName.SMS

    def __init__(
        self,
        settings: NotifySettings,
        client: httpx.AsyncClient,
        *,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        # Signature timestamps are wall time, whatever the (possibly simulated) domain clock:
        # receivers compare them with their own clocks to refuse replays.
        self.wall_clock = wall_clock
        self.client = client

    def request_body(self, message: Message) -> bytes:
        doc = {"request_id": message.delivery_id, "phone": message.address, "text": message.body}
        return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()

    async def send(self, message: Message) -> SendResult:
        body = self.request_body(message)
        headers = signed_headers(
            self.settings.sms_hmac_key.get_secret_value(),
            int(self.wall_clock()),
            body,
            message.delivery_id,
        )
        try:
            response = await self.client.post(
                self.settings.sms_gateway_url,
                content=body,
                headers=headers,
                timeout=self.settings.sms_timeout_s,
            )
        except httpx.HTTPError as exc:
            return SendResult.retry(f"sms gateway unreachable: {type(exc).__name__}")
        code: str | None = None
        try:
            answer = response.json()
            if isinstance(answer, dict) and answer.get("code") is not None:
                code = str(answer["code"])
        except ValueError:
            code = None
        return classify_sms_answer(response.status_code, code)
