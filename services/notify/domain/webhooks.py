"""Webhook rules: what a subscription may receive, where it may be sent, and what is left out.

A subscription belongs to a registered integrator (the ``sub`` of its token). An admin grants
each integrator a scope: event types, regions, and whether personal data may be included. A
subscription asks for a scope within that grant and gets, at every event, the part of it the
integrator still holds. Destinations are https to public addresses only (SSRF), checked when the
subscription is made and again, freshly resolved, at every send (DNS rebinding).
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, ValidationError

from shared.identifiers import mask_resident_id, mask_text

EVERY_REGION = "*"

SECRET_PREFIX = "whsec_"
SECRET_MIN_BYTES, SECRET_MAX_BYTES = 24, 64  # the Standard Webhooks recommendation

# Left out of every payload unless the scope includes personal data: who the applicant is, how to
# reach them, what they wrote in the form, their credit, and references that carry an ID number.
PERSONAL_FIELDS = frozenset(
    {
        "applicant",
        "contact",
        "form",
        "credit_check",
        "licence_ref",
        "commitment_text",
        "submitted_by",
    }
)
# Free text officers write to applicants; ID and mobile numbers in it are masked.
FREE_TEXT_FIELDS = frozenset({"reasons", "reason", "detail", "answer", "note", "comment"})
# CloudEvents extension attribute set on a payload that had personal data removed.
PERSONAL_DATA_ATTRIBUTE = "personaldata"


class WebhookScope(BaseModel):
    model_config = ConfigDict(frozen=True)

    event_types: tuple[str, ...]
    regions: tuple[str, ...]  # region codes, or "*" for every region and events without one
    personal_data: bool = False

    def allows(self, event_type: str, region: str | None) -> bool:
        if event_type not in self.event_types:
            return False
        return EVERY_REGION in self.regions or (region is not None and region in self.regions)

    def beyond(self, grant: WebhookScope) -> dict[str, str]:
        """What this scope asks for that ``grant`` does not give, by field (empty: within)."""
        out: dict[str, str] = {}
        types = sorted(set(self.event_types) - set(grant.event_types))
        if types:
            out["event_types"] = f"not granted: {types}; granted: {list(grant.event_types)}"
        if EVERY_REGION not in grant.regions:
            regions = sorted(set(self.regions) - set(grant.regions))
            if regions:
                out["regions"] = f"not granted: {regions}; granted: {list(grant.regions)}"
        if self.personal_data and not grant.personal_data:
            out["personal_data"] = "personal data is not granted to this integrator"
        return out

    def narrowed_to(self, grant: WebhookScope) -> WebhookScope:
        every = EVERY_REGION in grant.regions
        return WebhookScope(
            event_types=tuple(t for t in self.event_types if t in grant.event_types),
            regions=tuple(r for r in self.regions if every or r in grant.regions),
            personal_data=self.personal_data and grant.personal_data,
        )


def scope_of(doc: Mapping[str, Any]) -> WebhookScope | None:
    """The scope stored in a subscription or integrator document (None if it has none)."""
    try:
        return WebhookScope(
            event_types=tuple(doc["event_types"]),
            regions=tuple(doc["regions"]),
            personal_data=bool(doc.get("personal_data", False)),
        )
    except (KeyError, TypeError, ValidationError):
        return None


def subscription_scope(
    subscription: Mapping[str, Any], integrator: Mapping[str, Any] | None
) -> WebhookScope | None:
    """What a subscription receives now, or None: removed, its owner no longer a registered
    integrator, or made before subscriptions had owners and scopes."""
    if not subscription.get("active", True) or integrator is None:
        return None
    if not integrator.get("active", True) or integrator.get("_id") != subscription.get("owner"):
        return None
    wanted, grant = scope_of(subscription), scope_of(integrator)
    if wanted is None or grant is None:
        return None
    return wanted.narrowed_to(grant)


# --- destinations -------------------------------------------------------------------------------


def url_error(url: str, *, allow_insecure: bool) -> str | None:
    """Why ``url`` may not receive webhooks, judged on its text alone (None: acceptable)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return f"not a usable URL: {exc}"
    schemes = ("https", "http") if allow_insecure else ("https",)
    if parts.scheme not in schemes:
        return "must be an https URL" if not allow_insecure else "must be an http(s) URL"
    if not parts.hostname:
        return "has no host"
    if parts.username is not None or parts.password is not None:
        return "must not carry a user name or password"
    if port == 0:
        return "port 0 is not a destination"
    return None


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one leads to (mapped, 6to4, NAT64), if any."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in ipaddress.IPv6Network("64:ff9b::/96"):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def address_error(address: str, *, allow_loopback: bool = False) -> str | None:
    """Why a resolved address must not be connected to (None: a public address)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return f"{address!r} is not an IP address"
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            inner = address_error(str(embedded), allow_loopback=allow_loopback)
            return None if inner is None else f"{ip} (for {inner})"
    if ip.is_loopback:
        return None if allow_loopback else f"{ip} is a loopback address"
    for flag, what in (
        (ip.is_unspecified, "an unspecified"),
        (ip.is_link_local, "a link-local"),
        (ip.is_multicast, "a multicast"),
        (ip.is_reserved, "a reserved"),
        (ip.is_private, "a private"),
    ):
        if flag:
            return f"{ip} is {what} address"
    if not ip.is_global:
        return f"{ip} is not a public address"
    return None


# --- secrets and payloads -------------------------------------------------------------------------


def secret_error(secret: str) -> str | None:
    """A Standard Webhooks secret: ``whsec_`` and the base64 of 24 to 64 random bytes."""
    if not secret.startswith(SECRET_PREFIX):
        return f"must start with {SECRET_PREFIX!r}"
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        return f"must be {SECRET_PREFIX!r} followed by base64"
    if not SECRET_MIN_BYTES <= len(key) <= SECRET_MAX_BYTES:
        return f"must encode {SECRET_MIN_BYTES} to {SECRET_MAX_BYTES} bytes, not {len(key)}"
    return None


def minimised_event(event: Mapping[str, Any], *, personal_data: bool) -> dict[str, Any]:
    """The CloudEvent as a subscriber with this scope may see it.

    Without personal data: the fields in PERSONAL_FIELDS are removed wherever they occur, ID and
    mobile numbers in free text are masked, a person's ID number as credit subject (and event
    subject) is masked, and the extension attribute ``personaldata: "removed"`` says so.
    """
    if personal_data:
        return dict(event)
    data = _without_personal(event.get("data") or {})
    out = {**event, "data": data, PERSONAL_DATA_ATTRIBUTE: "removed"}
    if data.get("subject_kind") == "person" and isinstance(data.get("subject_id"), str):
        masked = mask_resident_id(data["subject_id"])
        if out.get("subject") == data["subject_id"]:
            out["subject"] = masked
        data["subject_id"] = masked
    return out


def _without_personal(value: Any, key: str | None = None) -> Any:
    if isinstance(value, Mapping):
        return {k: _without_personal(v, k) for k, v in value.items() if k not in PERSONAL_FIELDS}
    if isinstance(value, list):
        return [_without_personal(v, key) for v in value]
    if isinstance(value, str) and key in FREE_TEXT_FIELDS:
        return mask_text(value)
    return value
