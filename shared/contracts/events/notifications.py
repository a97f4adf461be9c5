"""Notifications delivered or failed."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from shared.contracts.common import (
    AwareDatetime,
)
from shared.contracts.envelope import EventData
from shared.contracts.events.topics import T_NOTIFICATIONS


class _NotificationOutcome(EventData):
    topic = T_NOTIFICATIONS
    key_field = "notification_id"

    notification_id: str
    source_event_id: str
    source_event_type: str
    case_id: str | None = None
    recipient: str = Field(description="masked recipient address or officer id")
    recipient_kind: Literal["applicant", "officer", "system"]
    channel: Literal["email", "sms", "inbox", "webhook"]
    template: str
    attempts: int = 1


class NotificationDelivered(_NotificationOutcome):
    event_type = "gov.egov.notification.delivered.v1"
    summary = "a notification reached its channel"

    latency_s: float = Field(description="seconds from the source event's time")
    delivered_at: AwareDatetime


class NotificationFailed(_NotificationOutcome):
    event_type = "gov.egov.notification.failed.v1"
    summary = "a notification permanently failed after retries"

    error: str
    failed_at: AwareDatetime
