"""The calendar's audit chain: every schedule published at run time (`egov calendar publish`)
carries its own keyed entry, naming the operator who published it and what it added, linked to
the entry of the publication before it (shared/audit/admin.py).

The chain lives where the change does, on ``egov.calendar``: the publication and its entry are
one message, written at once. The topic is compacted by year, so a message is removed only by a
later one of the same year (a replacement, which `egov calendar publish` refuses): the
replaced entry is then missing from the chain. The operator does not write
``egov.audit.checkpoints``; the calendar needs no checkpoints there because its chain is on the
bus already.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from shared.audit import AuditKeys, ChainHead, append
from shared.audit.admin import View, admin_change
from shared.audit.cli import register_source
from shared.audit.report import ChainSource
from shared.auth import Principal
from shared.calendar.schedule import YearSchedule
from shared.contracts.events import T_CALENDAR, CalendarPublished
from shared.settings import ServiceSettings

CALENDAR_CHAIN = "calendar.schedules"
CALENDAR_CHAIN_ID = T_CALENDAR  # one chain: the topic's publications in order


def schedule_view(schedule: YearSchedule) -> View:
    return schedule.model_dump(mode="json")


def head_of(published: Sequence[CalendarPublished]) -> ChainHead:
    """The chain's head: the newest publication's entry (the genesis when there is none)."""
    entry = next((e.audit for e in reversed(published) if e.audit), None)
    if entry is None:
        return ChainHead.start(CALENDAR_CHAIN, CALENDAR_CHAIN_ID)
    return ChainHead(count=int(entry["seq"]), hash=str(entry["hash"]))


def publication_entry(
    keys: AuditKeys,
    published: Sequence[CalendarPublished],
    schedule: YearSchedule,
    *,
    actor: Principal,
    at: datetime,
) -> dict[str, Any]:
    """The keyed entry of publishing ``schedule`` after the ``published`` ones."""
    change = admin_change(
        CALENDAR_CHAIN,
        CALENDAR_CHAIN_ID,
        "published",
        actor=actor,
        at=at,
        before=None,
        after=schedule_view(schedule),
    )
    [entry], _ = append(keys, [change.model_dump(mode="json")], head=head_of(published))
    return entry


class PublishedCalendar:
    """The calendar chain as `egov audit verify` reads it: one entry per message on the topic
    (a message without one is reported as unkeyed), its head the newest message."""

    scope = CALENDAR_CHAIN
    noun = "calendar"
    checkpointed = False  # its entries are on the bus themselves

    def __init__(self, published: Sequence[CalendarPublished]) -> None:
        self.published = list(published)

    async def chain_ids(self) -> list[str]:
        return [CALENDAR_CHAIN_ID] if self.published else []

    async def head(self, chain_id: str) -> ChainHead | None:
        if chain_id != CALENDAR_CHAIN_ID or not self.published:
            return None
        last = self.published[-1].audit or {}
        return ChainHead(count=len(self.published), hash=str(last.get("hash", "")))

    async def entries(self, chain_id: str) -> list[dict[str, Any]]:
        if chain_id != CALENDAR_CHAIN_ID:
            return []
        return [dict(e.audit or {"year": e.year}) for e in self.published]


@asynccontextmanager
async def open_calendar_chain() -> AsyncIterator[ChainSource]:
    from shared.calendar.publish import read_published_events

    yield PublishedCalendar(await read_published_events(ServiceSettings(service_name="cli")))


register_source(CALENDAR_CHAIN, open_calendar_chain)
