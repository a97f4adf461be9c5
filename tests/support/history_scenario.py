"""A seeded month of made-up cases with known outcomes, as events (for the projection) and as
plain rows (for an independent computation of every assessment indicator in the tests)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from services.monitor.history import catalog
from services.monitor.history.fold import Folded, fold
from shared.calendar import Limit, WorkingCalendar
from shared.clock import SHANGHAI
from shared.contracts import CatalogItemChanged, Envelope, derived_event_id, make_envelope
from tests.support.history_events import Case

UNITS = (("500000-SCJ", "500000"), ("500000-GAJ", "500000"), ("510100-SCJ", "510100"))
LEVELS = ("very_satisfied", "satisfied", "basically_satisfied", "dissatisfied", "very_dissatisfied")
CHANNELS = ("web", "app", "window", "kiosk")
STAGE_LIMIT, PROMISED, STATUTORY, RECT_DAYS, ANSWER_DAYS = 2, 3, 15, 5, 5


@dataclass(frozen=True)
class Row:
    """One case as the scenario made it: what the indicators must come out of."""

    case: Case
    channel: str
    accepted_day: date
    days: int  # working days after acceptance the review (and the case) closed
    decision: str
    level: str | None
    rect_days: int | None  # working days the rectification took, if one was opened
    answer_days: int  # working days the department took to answer its yellow card (督办答复)
    officer: str = ""  # who closed the review (经办), for the department head's view

    @property
    def rungs(self) -> int:
        return max(0, self.days - STAGE_LIMIT)  # rung n fires n-1 working days past due


def rows(
    seed: int,
    n: int,
    calendar: WorkingCalendar,
    month: tuple[int, int] = (2026, 3),
    units: tuple[tuple[str, str], ...] = UNITS,
    prefix: str = "",
) -> list[Row]:
    rnd = random.Random(seed)
    first = date(*month, 1)
    days = [
        first + timedelta(d) for d in range(28) if calendar.is_working_day(first + timedelta(d))
    ]
    out = []
    for i in range(n):
        dept, region = rnd.choice(units)
        level = rnd.choice(LEVELS) if rnd.random() < 0.8 else None
        bad = level in ("dissatisfied", "very_dissatisfied")
        out.append(
            Row(
                case=Case(
                    f"{prefix}{region}-T{seed}-{i:05d}",
                    department=dept,
                    region=region,
                    item=f"{dept}-00{i % 2 + 1}",
                ),  # fmt: skip
                channel=rnd.choice(CHANNELS),
                accepted_day=rnd.choice(days[:15]),
                days=rnd.choice((0, 1, 1, 2, 2, 2, 3, 4, 6)),
                decision=rnd.choice(("approved", "approved", "approved", "denied", "lapsed")),
                level=level,
                rect_days=rnd.choice((2, 4, 8)) if bad else None,
                answer_days=rnd.choice((1, 3, 7)),
                officer=f"{dept}-h{i % 3 + 1}",  # not drawn: the draws above stay as they were
            )
        )
    return out


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=SHANGHAI)


def events(row: Row, calendar: WorkingCalendar) -> list[Envelope]:
    c, opened = row.case, _at(row.accepted_day, 10)
    closed = _at(calendar.add_working_days(row.accepted_day, row.days), 16)
    stage_due = calendar.deadline(opened, Limit(value=STAGE_LIMIT))
    out = [
        c.submitted(
            opened - timedelta(hours=1), channel=row.channel, promised=PROMISED, statutory=STATUTORY
        ),  # fmt: skip
        c.opened(
            "case_promised",
            opened,
            calendar.deadline(opened, Limit(value=PROMISED)),
            limit=PROMISED,
        ),  # fmt: skip
        c.opened(
            "case_statutory",
            opened,
            calendar.deadline(opened, Limit(value=STATUTORY)),
            limit=STATUTORY,
        ),  # fmt: skip
        c.opened("review", opened, stage_due, limit=STAGE_LIMIT),
        c.closed("review", closed, officer=row.officer or None),
        c.closed("case_promised", closed, outcome="completed"),
        c.closed("case_statutory", closed, outcome="completed"),
        c.decided(closed, row.decision),
    ]
    if row.rungs:
        out.append(c.alert("review", "red", stage_due, stage_due))
    for n in range(1, row.rungs + 1):
        at = calendar.add_working_seconds(stage_due, (n - 1) * 86_400)
        card = {1: "none", 2: "yellow"}.get(n, "red")
        out.append(c.escalated("review", n, at, stage_due, card=card, credit=n == 4))
    if row.rungs >= 2:  # the yellow card awaits the department's answer, supervised in turn
        out.append(c.finding("late_sign_in", closed, stage="review"))
        record = Case(f"{c.case_id}-card", department=c.department, region=c.region, item=c.item)
        carded = calendar.add_working_seconds(stage_due, 86_400)
        answer_due = calendar.deadline(carded, Limit(value=ANSWER_DAYS))
        answered = _at(calendar.add_working_days(carded, row.answer_days), 15)
        out.append(record.opened("register_answer", carded, answer_due, limit=ANSWER_DAYS))
        out.append(record.closed("register_answer", answered, outcome="completed"))
    if row.level is not None:
        rated = closed + timedelta(days=1)
        out.append(c.rated(rated, row.level))
        if row.rect_days is not None:
            due = calendar.deadline(rated, Limit(value=RECT_DAYS))
            out.append(c.rect_opened(rated, due, row.level))
            answered = _at(calendar.add_working_days(rated, row.rect_days), 11)
            out.append(c.rect_closed(answered))
    return out


# The seeded catalog of each department: (suffix, fully online, visits, status); -001 and -002
# have cases (rows()), -003 is offered with no case, -004 is closed (counts nowhere), -005 asks
# for no visit without being online end to end (results by post).
ITEMS = (("001", True, 0, "open"), ("002", False, 1, "open"), ("003", True, 0, "open"),
         ("004", True, 0, "closed"), ("005", False, 0, "open"))  # fmt: skip
CATALOG_AT = datetime(2026, 2, 27, 9, tzinfo=SHANGHAI)


def catalog_events(
    units: tuple[tuple[str, str], ...] = UNITS, *, version: int = 1
) -> list[Envelope]:
    """Each department's items as intake publishes them on egov.catalog."""
    out = []
    for dept, region in units:
        for suffix, online, visits, status in ITEMS:
            data = CatalogItemChanged(
                item_code=f"{dept}-{suffix}", version=version, name=f"事项 {suffix}",
                department=dept, region=region, handling_level="municipal",
                service_type="promised", fully_online=online, visits_required=visits,
                status=status, promised_limit=Limit(value=PROMISED),
                statutory_limit=Limit(value=STATUTORY), changed_at=CATALOG_AT,
            )  # fmt: skip
            event_id = derived_event_id("catalog.item.changed", data.item_code, str(version))
            out.append(make_envelope(data, source="/egov/intake", time=CATALOG_AT, id=event_id))
    return out


class MemoryHistory:
    """The rollups kept in memory, summed by period like MongoHistory.totals."""

    def __init__(self) -> None:
        self.docs: dict[str, Any] = {}
        self.facts: dict[str, Any] = {}
        self.rollups: dict[tuple[str, str, str, str], dict[str, float]] = {}
        self.officers: dict[tuple[str, str, str, str], dict[str, float]] = {}
        self.catalog: dict[str, catalog.Entry] = {}

    def apply(self, batch: list[Envelope], calendar: WorkingCalendar) -> Folded:
        for code, entry in catalog.entries(batch).items():
            if catalog.newer(entry, self.catalog.get(code)):
                self.catalog[code] = entry
        folded = fold(batch, self.docs, self.facts, calendar)
        self.docs.update(folded.docs)
        self.facts.update(folded.facts)
        for into, deltas in ((self.rollups, folded.deltas), (self.officers, folded.officer_deltas)):
            for key, inc in deltas.items():
                row = into.setdefault(key, {})
                for name, value in inc.items():
                    row[name] = row.get(name, 0) + value
        return folded

    async def breakdowns(self, since: date, until: date, dims: Any, *,
                         region_prefix: str | None = None, **filters: str | None) -> Any:  # fmt: skip
        return {
            dim: await self.totals(since, until, by=dim, region_prefix=region_prefix, **filters)
            for dim in dims
        }

    async def offered(self, *, region_prefix: str | None = None, **filters: str | None) -> Any:
        return catalog.offered(self.catalog.values(), region_prefix=region_prefix, **filters)

    async def rated(self, since: date, until: date, *, limit: int, region_prefix: str | None = None,
                    **filters: str | None) -> list[Any]:  # fmt: skip
        found = []
        for doc in self.docs.values():
            rating = doc.get("rating")
            if rating is None:
                continue
            day = rating["at"].astimezone(SHANGHAI).date()
            if not since <= day <= until:
                continue
            if any(v is not None and rating.get(k) != v for k, v in filters.items()):
                continue
            if region_prefix and not rating["region"].startswith(region_prefix):
                continue
            found.append(doc)
        found.sort(key=lambda d: d["rating"]["at"], reverse=True)
        return found[:limit]

    async def by_officer(self, since: date, until: date, *, department: str | None = None,
                         region_prefix: str | None = None) -> list[dict[str, Any]]:  # fmt: skip
        groups: dict[tuple[str, str], dict[str, float]] = {}
        for (day, dept, region, officer), c in self.officers.items():
            if not since.isoformat() <= day <= until.isoformat():
                continue
            if department is not None and dept != department:
                continue
            if region_prefix and not region.startswith(region_prefix):
                continue
            group = groups.setdefault((dept, officer), {})
            for name, value in c.items():
                group[name] = group.get(name, 0) + value
        return [
            {"key": k, "c": {n: v for n, v in c.items() if v}} for k, c in sorted(groups.items())
        ]

    async def totals(self, since: date, until: date, *, by: str | None,
                     region_prefix: str | None = None, **filters: str | None) -> list[dict[str, Any]]:  # fmt: skip
        groups: dict[Any, dict[str, float]] = {}
        for (day, department, region, item), c in self.rollups.items():
            fields = {"day": day, "department": department, "region": region, "item_code": item}
            if not since.isoformat() <= day <= until.isoformat():
                continue
            if any(v is not None and fields[k] != v for k, v in filters.items()):
                continue
            if region_prefix and not region.startswith(region_prefix):
                continue
            group = groups.setdefault(fields[by] if by else None, {})
            for name, value in c.items():
                group[name] = group.get(name, 0) + value
        return [
            {"key": k, "c": {n: v for n, v in c.items() if v}} for k, c in sorted(groups.items())
        ]
