"""Outbound channels behind the small ``ports.Channel`` interface."""

from services.notify.channels.email import EmailChannel
from services.notify.channels.inbox import InboxChannel
from services.notify.channels.sms import SmsChannel
from services.notify.channels.webhook import WebhookChannel

__all__ = ["EmailChannel", "InboxChannel", "SmsChannel", "WebhookChannel"]
