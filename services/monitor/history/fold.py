"""A batch of events into case documents, facts and rollup increments (pure)."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from pydantic import ValidationError

from services.monitor.history.facts import (
    Fact,
    Key,
    fact_key,
    facts_of,
    officer_key,
    rollup_deltas,
)
from services.monitor.history.projection import FOLDED_TYPES, Doc, apply, new_case
from shared.calendar.timing import Calendar
from shared.contracts import Envelope, UnknownEventType

log = logging.getLogger(__name__)


def case_of(envelope: Envelope) -> str | None:
    """The case an event belongs to, or None when the history does not fold its type."""
    if envelope.type not in FOLDED_TYPES:
        return None
    case_id = envelope.data.get("case_id")
    return case_id if isinstance(case_id, str) and case_id else None


@dataclass
class Folded:
    docs: dict[str, Doc] = field(default_factory=dict)  # every case the batch touched
    facts: dict[str, dict[str, Fact]] = field(default_factory=dict)  # by case, all of them
    gone: dict[str, set[str]] = field(default_factory=dict)  # fact ids no longer true, by case
    deltas: dict[Key, dict[str, float]] = field(default_factory=dict)
    # by (day, department, region, officer): handling stages' facts, for department heads
    officer_deltas: dict[Key, dict[str, float]] = field(default_factory=dict)
    skipped: int = 0


def fold(
    envelopes: Iterable[Envelope],
    docs: dict[str, Doc],
    old_facts: dict[str, dict[str, Fact]],
    calendar: Calendar,
) -> Folded:
    """``docs`` and ``old_facts`` are the stored documents and facts of the batch's cases
    (missing ones are new cases)."""
    out = Folded()
    for envelope in envelopes:
        case_id = case_of(envelope)
        if case_id is None:
            continue
        doc = out.docs.get(case_id) or docs.get(case_id) or new_case(case_id)
        try:
            out.docs[case_id] = apply(doc, envelope)
        except (ValidationError, UnknownEventType, ValueError) as exc:
            out.skipped += 1  # the primary consumers dead-letter it; the history skips it
            log.warning("history: event %s skipped: %s", envelope.id, exc)
    deltas: dict[Key, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    by_officer: dict[Key, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for case_id, doc in list(out.docs.items()):
        before = old_facts.get(case_id, {})
        try:
            after = facts_of(doc, calendar)
        except Exception:  # noqa: BLE001 - one case's bad document never stops the history
            log.exception("history: case %s not counted; its document is left as it was", case_id)
            del out.docs[case_id]
            out.skipped += 1
            continue
        for into, key_of in ((deltas, fact_key), (by_officer, officer_key)):
            for key, inc in rollup_deltas(before, after, key_of).items():
                for name, value in inc.items():
                    into[key][name] += value
        out.facts[case_id] = after
        out.gone[case_id] = set(before) - set(after)
    out.deltas = _nonzero(deltas)
    out.officer_deltas = _nonzero(by_officer)
    return out


def _nonzero(deltas: dict[Key, dict[str, float]]) -> dict[Key, dict[str, float]]:
    kept = {k: {n: v for n, v in d.items() if v} for k, d in deltas.items()}
    return {k: d for k, d in kept.items() if d}
