"""Who is told and on which channel: directory entries, recipients, channels, delivery ids."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared.contacts import CnPhone, Email
from shared.contracts.envelope import derived_event_id


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


INSPECTION_OFFICE = "inspection_office"


# --- directory --------------------------------------------------------------------------------


class Officer(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str = Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9._-]+$")
    name: str = Field(min_length=1, max_length=100)
    department: str = Field(min_length=1, max_length=40)
    section: str | None = Field(None, max_length=80)
    roles: list[str] = Field(min_length=1)
    email: Email | None = None
    phone: CnPhone | None = None
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


class InvalidDirectory(ValueError):
    """The directory file cannot be used; the message names every bad entry."""


def parse_directory(data: Any, source: str) -> Directory:
    """The directory in ``data`` (the parsed file), or InvalidDirectory naming each bad entry by
    its id and field, so whoever edited the file can find it."""
    try:
        return Directory.model_validate(data)
    except ValidationError as exc:
        problems = [_entry_problem(data, error) for error in exc.errors()]
        raise InvalidDirectory(
            f"{source}: {len(problems)} invalid entr{'y' if len(problems) == 1 else 'ies'}: "
            + "; ".join(problems)
        ) from None


def _entry_problem(data: Any, error: Any) -> str:
    loc = [str(p) for p in error.get("loc", ())]
    message = str(error.get("msg", "invalid"))
    if len(loc) >= 2 and loc[0] in ("officers", "sections") and loc[1].isdigit():
        index = int(loc[1])
        entries = data.get(loc[0]) if isinstance(data, dict) else None
        entry = entries[index] if isinstance(entries, list) and index < len(entries) else None
        key = "id" if loc[0] == "officers" else "code"
        name = entry.get(key) if isinstance(entry, dict) else None
        what = "officer" if loc[0] == "officers" else "section"
        field = ".".join(loc[2:]) or "entry"
        return f"{what} {name!r} (entry {index + 1}) {field}: {message}"
    return f"{'.'.join(loc) or 'file'}: {message}"


def stored_officer(fields: dict[str, Any]) -> tuple[Officer, list[str]]:
    """An officer read back from the store, and the contact fields left out because they no
    longer pass the checks (entries stored before contacts were checked still get the inbox)."""
    try:
        return Officer.model_validate(fields), []
    except ValidationError as exc:
        bad = sorted(
            {str(e["loc"][0]) for e in exc.errors() if e["loc"][:1] in (("email",), ("phone",))}
        )
        if not bad:
            raise
        return Officer.model_validate({k: v for k, v in fields.items() if k not in bad}), bad


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
    return derived_event_id("notify", event_id, recipient_key, channel)


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
