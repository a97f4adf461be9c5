"""Pure rules of the notify service: who is told, on which channel, when, and what a failure means.

No I/O and no clock reads: instants are passed in.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field


class ChannelName(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    INBOX = "inbox"
    WEBHOOK = "webhook"


class RecipientKind(StrEnum):
    APPLICANT = "applicant"
    OFFICER = "officer"
    SYSTEM = "system"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


OFFICER_ROLES = (
    "handler",
    "reviewer",
    "approver",
    "section_chief",
    "department_head",
    "supervisor",
    "inspector",
)
INSPECTION_OFFICE = "inspection_office"


# --- directory --------------------------------------------------------------------------------


class Officer(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str = Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9._-]+$")
    name: str = Field(min_length=1, max_length=100)
    department: str = Field(min_length=1, max_length=40)
    section: str | None = Field(None, max_length=80)
    roles: list[str] = Field(min_length=1)
    email: str | None = Field(None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    phone: str | None = Field(None, pattern=r"^\+?\d{6,20}$")
    locale: str = Field("zh-CN", pattern=r"^(zh-CN|en)$")
    active: bool = True


class Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    code: str = Field(min_length=1, max_length=80)
    department: str
    name: str


class Directory(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    version: str
    sections: list[Section] = Field(default_factory=list)
    officers: list[Officer] = Field(default_factory=list)


def version_key(version: str) -> tuple[int | str, ...]:
    """``2026.10`` sorts after ``2026.9``."""
    return tuple(int(p) if p.isdigit() else p for p in version.split("."))


def is_newer(candidate: str, current: str | None) -> bool:
    if current is None:
        return True
    try:
        return version_key(candidate) > version_key(current)
    except TypeError:  # mixed text and numbers: fall back to plain comparison
        return candidate > current


# --- recipients and channels ------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    key: str  # applicant's ID number, officer id or webhook subscription id
    kind: RecipientKind
    name: str
    locale: str = "zh-CN"
    email: str | None = None
    phone: str | None = None


def officer_recipient(officer: Officer) -> Recipient:
    return Recipient(
        key=officer.id,
        kind=RecipientKind.OFFICER,
        name=officer.name,
        locale=officer.locale,
        email=officer.email,
        phone=officer.phone,
    )


def channels_for(recipient: Recipient, *, urgent: bool) -> list[tuple[ChannelName, str]]:
    """(channel, address) pairs. Everyone gets the inbox; applicants get SMS and email when
    they gave them; officers get email, and SMS only for urgent alerts."""
    out: list[tuple[ChannelName, str]] = [(ChannelName.INBOX, recipient.key)]
    if recipient.kind is RecipientKind.APPLICANT:
        if recipient.phone:
            out.append((ChannelName.SMS, recipient.phone))
        if recipient.email:
            out.append((ChannelName.EMAIL, recipient.email))
    elif recipient.kind is RecipientKind.OFFICER:
        if recipient.email:
            out.append((ChannelName.EMAIL, recipient.email))
        if urgent and recipient.phone:
            out.append((ChannelName.SMS, recipient.phone))
    return out


def unique_recipients(recipients: list[Recipient]) -> list[Recipient]:
    seen: set[str] = set()
    out = []
    for r in recipients:
        if r.key not in seen:
            seen.add(r.key)
            out.append(r)
    return out


@dataclass(frozen=True)
class RoleQuery:
    """Officers to look up: a role in a department, or the region's inspection office."""

    role: str
    department: str | None = None
    region: str | None = None
    section: str | None = None


def escalation_queries(
    roles: list[str], *, department: str, region: str, section: str | None
) -> list[RoleQuery]:
    """One query per rung recipient role. ``inspection_office`` means the inspectors of the
    region's discipline-inspection office; the section chief is that of the assignee's section
    when known."""
    out = []
    for role in roles:
        if role == INSPECTION_OFFICE:
            out.append(RoleQuery(role="inspector", region=region))
        elif role == "section_chief":
            out.append(RoleQuery(role=role, department=department, section=section))
        else:
            out.append(RoleQuery(role=role, department=department))
    return out


def delivery_id(event_id: str, recipient_key: str, channel: str) -> str:
    """At most one delivery per (event, recipient, channel): the same triple, the same id."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"egov:notify:{event_id}:{recipient_key}:{channel}").hex


# --- quiet hours, rate limit, retries ---------------------------------------------------------


@dataclass(frozen=True)
class QuietHours:
    start: time
    end: time
    tz: str = "Asia/Shanghai"

    @classmethod
    def parse(cls, start: str, end: str, tz: str) -> QuietHours:
        return cls(time.fromisoformat(start), time.fromisoformat(end), tz)

    def deferred_until(self, now: datetime) -> datetime | None:
        """The end of the quiet period ``now`` falls in, or None outside quiet hours."""
        if self.start == self.end:
            return None
        local = now.astimezone(ZoneInfo(self.tz))
        t = local.time().replace(tzinfo=None)
        if self.start < self.end:
            inside = self.start <= t < self.end
        else:  # spans midnight, e.g. 22:00-08:00
            inside = t >= self.start or t < self.end
        if not inside:
            return None
        end_day = local.date()
        if t >= self.end:
            end_day += timedelta(days=1)
        end = datetime.combine(end_day, self.end, tzinfo=ZoneInfo(self.tz))
        return end.astimezone(now.tzinfo)


def quiet_hours_apply(channel: ChannelName, kind: RecipientKind, *, urgent: bool) -> bool:
    return channel is ChannelName.SMS and kind is RecipientKind.APPLICANT and not urgent


def rate_limited_until(
    sent_times: list[datetime], *, now: datetime, limit: int, window: timedelta
) -> datetime | None:
    """When the next push message may go to this recipient, or None if it may go now."""
    recent = sorted(t for t in sent_times if t > now - window)
    if len(recent) < limit:
        return None
    return recent[len(recent) - limit] + window


def backoff_delay(attempts: int, *, base_s: float, max_s: float) -> float:
    """Seconds to wait after the ``attempts``-th failed attempt (1, 2, ...): base * 2^(n-1)."""
    return float(min(base_s * (2 ** max(attempts - 1, 0)), max_s))


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


@dataclass(frozen=True)
class AfterFailure:
    give_up: bool
    retry_at: datetime | None = None


def after_failure(
    result: SendResult,
    *,
    attempts: int,
    max_attempts: int,
    now: datetime,
    base_s: float,
    max_s: float,
) -> AfterFailure:
    if not result.retryable or attempts >= max_attempts:
        return AfterFailure(give_up=True)
    delay = backoff_delay(attempts, base_s=base_s, max_s=max_s)
    return AfterFailure(give_up=False, retry_at=now + timedelta(seconds=delay))


# --- what the channels' answers mean -----------------------------------------------------------

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


# --- masking of personal data in listings ------------------------------------------------------


def mask_value(value: str) -> str:
    if len(value) <= 1:
        return "*"
    if "@" in value:
        local, _, domain = value.partition("@")
        return local[:1] + "***@" + domain
    if len(value) <= 3:
        return value[0] + "*" * (len(value) - 1)
    keep = 4 if len(value) >= 15 else 3
    tail = 4 if len(value) >= 8 else 0
    return value[:keep] + "*" * (len(value) - keep - tail) + value[len(value) - tail :]


def mask_personal(text: str, personal: list[str]) -> str:
    """Replace every known personal value (name, ID number, phone, email) in ``text``."""
    for value in sorted({p for p in personal if p}, key=len, reverse=True):
        text = text.replace(value, mask_value(value))
    return text


@dataclass
class Planned:
    """One delivery to write before sending (rendered content included)."""

    id: str
    channel: ChannelName
    recipient: Recipient
    address: str
    template: str
    subject: str
    body: str
    urgent: bool
    due_at: datetime
    deferred: bool = False
    personal: list[str] = field(default_factory=list)
