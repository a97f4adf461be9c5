"""HMAC-SHA256 signatures of requests to the SMS gateway (the gateway's own scheme).

Signed text: ``"<timestamp>.<body>"`` where timestamp is Unix seconds as sent in
``X-Egov-Timestamp``; header ``X-Egov-Signature: sha256=<hex>``. Webhooks are signed by the
Standard Webhooks specification instead (channels/webhook.py).
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Egov-Signature"
TIMESTAMP_HEADER = "X-Egov-Timestamp"
DELIVERY_HEADER = "X-Egov-Delivery"  # idempotency key: the same on every retry of one delivery


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def signed_headers(secret: str, timestamp: int, body: bytes, delivery_id: str) -> dict[str, str]:
    ts = str(timestamp)
    return {
        "Content-Type": "application/json",
        TIMESTAMP_HEADER: ts,
        SIGNATURE_HEADER: sign(secret, ts, body),
        DELIVERY_HEADER: delivery_id,
    }


def verify(
    secret: str, timestamp: str, body: bytes, signature: str, *, now: float, tolerance_s: int = 300
) -> bool:
    """What a receiver does: recompute, compare in constant time, refuse stale timestamps."""
    try:
        age = abs(now - int(timestamp))
    except ValueError:
        return False
    if age > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature)
