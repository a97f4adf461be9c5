"""What the day produced, counted from the bus (pure)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Set
from dataclasses import dataclass, field

from demo.bus import BusRecord
from shared.contracts import DEAD_LETTER_TOPIC, UnknownEventType, model_for


@dataclass
class DaySummary:
    cases_submitted: int = 0
    decisions: Counter[str] = field(default_factory=Counter)
    open_cases: int = 0
    lights: Counter[str] = field(default_factory=Counter)
    escalations_by_rung: Counter[int] = field(default_factory=Counter)
    findings: Counter[str] = field(default_factory=Counter)
    notifications: Counter[str] = field(default_factory=Counter)
    notification_failures: Counter[str] = field(default_factory=Counter)
    credit_incidents: Counter[str] = field(default_factory=Counter)
    credit_changes: int = 0
    rectifications: int = 0
    ratings: Counter[str] = field(default_factory=Counter)
    dead_letters: Counter[str] = field(default_factory=Counter)

    def lines(self) -> list[str]:
        def fmt(c: Counter[str] | Counter[int]) -> str:
            return (
                ", ".join(f"{k}: {v}" for k, v in sorted(c.items(), key=lambda kv: str(kv[0])))
                or "none"
            )

        return [
            f"cases submitted        {self.cases_submitted}",
            f"decisions              {fmt(self.decisions)}",
            f"cases still open       {self.open_cases}",
            f"lights (warned/red)    {fmt(self.lights)}",
            f"escalations by rung    {fmt(self.escalations_by_rung)}",
            f"supervision findings   {fmt(self.findings)}",
            f"ratings                {fmt(self.ratings)}",
            f"rectifications opened  {self.rectifications}",
            f"notifications sent     {fmt(self.notifications)}",
            f"notifications failed   {fmt(self.notification_failures)}",
            f"credit incidents       {fmt(self.credit_incidents)}",
            f"credit changes         {self.credit_changes}",
            f"dead letters           {fmt(self.dead_letters)}",
        ]


def external_case_ids(records: list[BusRecord], external_ids: set[str]) -> set[str]:
    """Case numbers intake gave to the cases other systems published with these external ids."""
    found: set[str] = set()
    if not external_ids:
        return found
    for r in records:
        e = r.envelope
        if e is None or not e.type.startswith("gov.egov.case.submitted."):
            continue
        ref = e.data.get("external_ref") if isinstance(e.data, dict) else None
        if isinstance(ref, str) and ref.rsplit("/", 1)[-1] in external_ids:
            found.add(str(e.data.get("case_id")))
    return found


def summarise(
    records: list[BusRecord],
    cases: set[str] | None = None,
    external_ids: Set[str] = frozenset(),
) -> DaySummary:
    """The day in figures; `cases` (and the cases published with `external_ids`) limit it to
    one run's cases when the platform has seen others."""
    if cases is not None:
        cases = cases | external_case_ids(records, set(external_ids))
    s = DaySummary()
    submitted: set[str] = set()
    decided: set[str] = set()
    seen: set[str] = set()
    for r in records:
        if r.topic == DEAD_LETTER_TOPIC:
            s.dead_letters[r.header("dlq.reason") or "?"] += 1
            continue
        e = r.envelope
        if e is None or e.id in seen:
            continue
        seen.add(e.id)
        try:  # deliberately bad input can wear a valid envelope around invalid data
            d = model_for(e.type).model_validate(e.data).model_dump(mode="json")
        except (UnknownEventType, ValueError):
            continue
        case_id = d.get("case_id")
        if (
            cases is not None
            and case_id is not None
            and case_id not in cases
            and not e.type.startswith("gov.egov.credit")
        ):
            continue
        t = e.type.removeprefix("gov.egov.").removesuffix(".v1")
        if t == "case.submitted":
            submitted.add(d["case_id"])
        elif t == "case.decided":
            decided.add(d["case_id"])
            s.decisions[d["decision"]] += 1
        elif t in ("stage.warned", "stage.overdue"):
            s.lights[d["light"]] += 1
        elif t == "supervision.escalated":
            s.escalations_by_rung[int(d["rung"])] += 1
        elif t == "supervision.finding":
            s.findings[d["kind"]] += 1
        elif t == "notification.delivered":
            s.notifications[d["channel"]] += 1
        elif t == "notification.failed":
            s.notification_failures[d["channel"]] += 1
        elif t == "credit.incident":
            s.credit_incidents[d["source_system"]] += 1
        elif t == "credit.changed":
            s.credit_changes += 1
        elif t == "rectification.opened":
            s.rectifications += 1
        elif t == "case.rated":
            s.ratings[d["level"]] += 1
    s.cases_submitted = len(submitted)
    s.open_cases = len(submitted - decided)
    return s
