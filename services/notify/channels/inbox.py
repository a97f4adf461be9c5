"""In-app inbox stored in MongoDB; read with GET /v1/inbox.

An inbox item due now is written with the delivery that sends it, in one transaction
(``Dispatcher.record``); ``send`` serves the deliveries that wait (retries, replays)."""

from __future__ import annotations

from services.notify.domain import ChannelName, SendResult
from services.notify.ports import Doc, InboxStore, Message
from shared.clock import Clock


class InboxChannel:
    name = ChannelName.INBOX

    def __init__(self, inbox: InboxStore, clock: Clock) -> None:
        self.inbox = inbox
        self.clock = clock

    async def send(self, message: Message) -> SendResult:
        await self.inbox.add(self.item(message))
        return SendResult.sent()

    def item(self, message: Message) -> Doc:
        return {
            "_id": message.delivery_id,  # idempotent: a resend overwrites nothing
            "owner": message.address,
            "owner_kind": message.recipient_kind.value,
            "case_id": message.case_id,
            "template": message.template,
            "event_type": message.event_type,
            "subject": message.subject,
            "body": message.body,
            "personal": message.personal,
            "created_at": self.clock.now(),
            "read_at": None,
        }
