"""The supervision history's projection: case documents, facts and rollup increments folded
from events, idempotent (the same event twice, or after a round trip through MongoDB's storage)
and independent of the order the topics deliver them in."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from services.monitor.history.fold import Folded, fold
from shared.calendar import Limit, load_default_calendar
from shared.clock import SHANGHAI
from shared.contracts import Envelope
from tests.support.history_events import APPLICANT, CONTACT, Case, as_stored

CAL = load_default_calendar()
DAY = timedelta(days=1)
MON = datetime(2026, 3, 2, 10, tzinfo=SHANGHAI)  # a Monday; the week has no holiday
CASE = Case("500000-20260302-000001")


def due(start: datetime, days: int) -> datetime:
    return CAL.deadline(start, Limit(value=days))


def review_with_a_stop() -> list[Envelope]:
    first_due = due(MON, 5)
    pushed = CAL.add_working_seconds(first_due, 86_400)  # the day it stood still
    return [
        CASE.submitted(MON - timedelta(hours=1), channel="app"),
        CASE.opened("case_promised", MON, due(MON, 3), limit=3),
        CASE.opened("review", MON, first_due),
        CASE.suspended("review", MON + DAY + timedelta(microseconds=123_456)),
        CASE.resumed("review", MON + 2 * DAY, pushed),
        CASE.closed("review", MON + 3 * DAY),
        CASE.closed("case_promised", MON + 3 * DAY),
        CASE.decided(MON + 3 * DAY),
        CASE.rated(MON + 4 * DAY, "satisfied"),
    ]


def fold_stored(events: list[Envelope], before: Folded | None = None) -> Folded:
    """Fold with the documents and facts as MongoDB would give them back."""
    docs = as_stored(before.docs) if before else {}
    facts = as_stored(before.facts) if before else {}
    return fold(events, docs, facts, CAL)


def totals(*folds: Folded) -> dict[tuple[str, ...], dict[str, float]]:
    out: dict[tuple[str, ...], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for f in folds:
        for key, inc in f.deltas.items():
            for name, value in inc.items():
                out[key][name] += value
    return {k: {n: round(v, 6) for n, v in d.items() if round(v, 6)} for k, d in out.items()}


def test_a_stage_counts_its_working_time_without_the_stop_and_its_deadline_as_pushed_out() -> None:
    folded = fold_stored(review_with_a_stop())
    facts = folded.facts[CASE.case_id]
    review = facts[f"{CASE.sid('review')}|closed"]["c"]
    # Mon 10:00 -> Thu 10:00 is three whole working days; Tue 10:00 -> Wed 10:00 stood still.
    assert review == {
        "stage_closed": 1,
        "stage_on_time": 1,
        "stage_used_days": 2.0,
        "stage_limit_days": 5.0,
    }
    promised = facts[f"{CASE.sid('case_promised')}|closed"]["c"]
    assert promised["promised_used_days"] == 3.0 and promised["promised_on_time"] == 1
    assert facts[f"{CASE.case_id}|submitted"]["c"] == {"submitted": 1, "channel_app": 1}
    assert facts[f"{CASE.sid('case_promised')}|accepted"]["day"] == "2026-03-02"
    assert facts[f"{CASE.case_id}|rated"]["c"] == {"ratings": 1, "rating_satisfied": 1}


def test_a_stage_closed_after_its_deadline_is_late() -> None:
    case = Case("500000-20260302-000002")
    folded = fold_stored(
        [case.opened("review", MON, due(MON, 1), limit=1), case.closed("review", MON + 3 * DAY)]
    )
    closed = folded.facts[case.case_id][f"{case.sid('review')}|closed"]["c"]
    assert closed["stage_on_time"] == 0 and closed["stage_used_days"] == 3.0


def test_the_same_events_again_change_nothing() -> None:
    first = fold_stored(review_with_a_stop())
    again = fold_stored(review_with_a_stop(), first)
    assert again.deltas == {}
    assert as_stored(again.docs) == as_stored(first.docs)
    assert again.facts == first.facts and not any(again.gone.values())


def test_any_order_and_any_batching_give_the_same_rollups_and_documents() -> None:
    events = review_with_a_stop()
    whole = fold_stored(events)
    shuffled = events[:]
    random.Random(7).shuffle(shuffled)
    assert shuffled != events
    stored, steps = Folded(), []
    for event in shuffled:  # one event a batch, each after a round trip through storage
        step = fold_stored([event], stored)
        stored.docs.update(step.docs)
        stored.facts.update(step.facts)
        steps.append(step)
    assert totals(*steps) == totals(whole)
    assert stored.facts == whole.facts
    assert canon(stored.docs[CASE.case_id]) == canon(whole.docs[CASE.case_id])


def canon(doc: dict[str, Any]) -> dict[str, Any]:
    """A document with its sets in one order (the order facts arrived in is not kept)."""
    doc = as_stored(doc)
    for stage in doc["stages"]:
        for name in ("dues", "susp", "resumes", "alerts", "rungs"):
            stage[name] = sorted(stage[name], key=repr)
    doc["stages"] = sorted(doc["stages"], key=lambda s: s["id"])
    return doc


def test_a_stage_closed_before_its_opening_is_seen_counts_once_the_opening_arrives() -> None:
    case = Case("500000-20260302-000003")
    early = fold_stored([case.closed("review", MON + DAY)])
    assert early.deltas == {}
    later = fold_stored([case.opened("review", MON, due(MON, 5))], early)
    assert totals(later) == {
        ("2026-03-03", case.department, case.region, case.item): {
            "stage_closed": 1,
            "stage_on_time": 1,
            "stage_used_days": 1.0,
            "stage_limit_days": 5.0,
        }
    }


def test_a_deadline_recomputed_after_the_close_moves_the_stage_from_on_time_to_late() -> None:
    case = Case("500000-20260302-000004")
    old = due(MON, 5)
    first = fold_stored([case.opened("review", MON, old), case.closed("review", MON + 2 * DAY)])
    second = fold_stored([case.deadline_changed("review", MON + 3 * DAY, old, MON + DAY)], first)
    key = ("2026-03-04", case.department, case.region, case.item)
    assert second.deltas == {key: {"stage_on_time": -1}}


def test_escalations_findings_and_rectifications_are_counted_where_they_happened() -> None:
    case = Case("500000-20260302-000005", department="510100-GAJ", region="510100")
    d = due(MON, 1)
    events = [
        case.opened("review", MON, d, limit=1),
        case.alert("review", "yellow", MON + timedelta(hours=2), d),
        case.alert("review", "red", d, d),
        case.escalated("review", 1, d, d),
        case.escalated("review", 2, d + DAY, d, card="yellow"),
        case.escalated("review", 4, d + 3 * DAY, d, card="red", credit=True),
        case.finding("late_sign_in", MON + DAY, stage="review"),
        case.rect_opened(MON + DAY, due(MON + DAY, 5)),
        case.rect_closed(MON + 9 * DAY),
    ]
    got = totals(fold_stored(events))
    flat: dict[str, float] = defaultdict(float)
    for counters in got.values():
        for name, value in counters.items():
            flat[name] += value
    assert dict(flat) == {
        "stage_warned": 1,
        "stage_overdue": 1,
        "stage_rung_1": 1,
        "stage_rung_2": 1,
        "stage_rung_4": 1,
        "card_yellow": 1,
        "card_red": 1,
        "credit_incidents": 1,
        "findings": 1,
        "finding_late_sign_in": 1,
        "rect_opened": 1,
        "rect_closed": 1,  # nine days on, past its five working days: not rect_on_time
    }


def test_no_personal_data_reaches_the_history() -> None:
    doc = str(fold_stored(review_with_a_stop()).docs)
    for secret in (*APPLICANT.values(), *CONTACT.values(), "山城小面馆"):
        if secret != "person":
            assert secret not in doc
