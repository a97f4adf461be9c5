"""What the channels' answers mean: sent, retry later, or give up."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SendResult:
    ok: bool
    retryable: bool = False
    error: str | None = None

    @classmethod
    def sent(cls) -> SendResult:
        return cls(ok=True)

    @classmethod
    def retry(cls, error: str) -> SendResult:
        return cls(ok=False, retryable=True, error=error)

    @classmethod
    def permanent(cls, error: str) -> SendResult:
        return cls(ok=False, retryable=False, error=error)


# SMS gateway answer codes (docs/notify.md): transient conditions are retried, the rest give up.
SMS_RETRY_CODES = frozenset(
    {"THROTTLED", "GATEWAY_BUSY", "UPSTREAM_TIMEOUT", "SYSTEM_ERROR", "INSUFFICIENT_BALANCE"}
)
SMS_PERMANENT_CODES = frozenset(
    {"INVALID_PHONE", "UNSUBSCRIBED", "CONTENT_REJECTED", "SIGNATURE_INVALID", "TEMPLATE_REJECTED"}
)


def classify_sms_answer(status: int, code: str | None) -> SendResult:
    if 200 <= status < 300 and code in (None, "OK"):
        return SendResult.sent()
    label = f"sms gateway HTTP {status} {code or ''}".strip()
    if code in SMS_PERMANENT_CODES:
        return SendResult.permanent(label)
    if code in SMS_RETRY_CODES or status in (408, 425, 429) or status >= 500:
        return SendResult.retry(label)
    if 400 <= status < 500:
        return SendResult.permanent(label)
    return SendResult.retry(label)  # a 2xx with an unknown code: the gateway may recover


def classify_webhook_status(status: int) -> SendResult:
    if 200 <= status < 300:
        return SendResult.sent()
    label = f"webhook HTTP {status}"
    if status in (408, 425, 429) or status >= 500:
        return SendResult.retry(label)
    return SendResult.permanent(label)


def classify_smtp_code(code: int, message: str) -> SendResult:
    """SMTP reply codes: 4xx is transient (retry), 5xx permanent."""
    label = f"smtp {code} {message}"[:300]
    if 400 <= code < 500 or code < 0:
        return SendResult.retry(label)
    return SendResult.permanent(label)
