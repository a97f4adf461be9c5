"""The end-to-end checker must catch what it claims to catch: each test feeds it a bus history
with one defect and expects exactly that defect reported."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from services.scenario.bus import BusRecord
from services.scenario.invariants import Expectations, check, fingerprint
from shared.contracts import (
    DEAD_LETTER_TOPIC,
    CaseDecided,
    CaseSubmitted,
    CreditIncident,
    PreReviewDone,
    StageClosed,
    StageOpened,
    StageOverdue,
    SupervisionEscalated,
    make_envelope,
    model_for,
    topic_for,
)
from shared.contracts.examples import EXAMPLES

T0 = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
DUE = datetime(2026, 3, 3, 15, 59, 59, tzinfo=UTC)
CASE = "500000-20260302-000042"
STAGE = f"{CASE}:review"
_offset = iter(range(10**6))


def rec(event_type: str, id: str, **over: Any) -> BusRecord:
    data = model_for(event_type).model_validate({**EXAMPLES[event_type], **over})
    env = make_envelope(data, source="/t", time=T0, id=id)
    return BusRecord(
        topic_for(event_type), 0, next(_offset), env.subject, env.to_json_bytes(), (), env
    )


def history(*extra: BusRecord) -> list[BusRecord]:
    return [
        rec(CaseSubmitted.event_type, "sub"),
        rec(PreReviewDone.event_type, "pre", outcome="passed"),
        rec(StageOpened.event_type, "open", due_at=DUE.isoformat()),
        *extra,
    ]


def exp(now: datetime, **kw: Any) -> Expectations:
    return Expectations(now=now, monitor_open={CASE: {STAGE}}, **kw)


def test_a_healthy_history_has_no_violations() -> None:
    closed = rec(StageClosed.event_type, "close", closed_at=(DUE - timedelta(hours=3)).isoformat())
    decided = rec(CaseDecided.event_type, "dec")
    assert check(history(closed, decided), exp(DUE + timedelta(days=3))) == []


def test_an_unflagged_overdue_stage_is_reported() -> None:
    violations = check(history(), exp(DUE + timedelta(hours=5)))
    assert len(violations) == 1 and "never flagged" in violations[0]


def test_overdue_flagged_twice_with_different_ids_is_reported() -> None:
    a = rec(StageOverdue.event_type, "red-1")
    b = rec(StageOverdue.event_type, "red-2")
    assert any(
        "flagged overdue 2 times" in x for x in check(history(a, b), exp(DUE + timedelta(hours=5)))
    )


def test_a_redelivered_copy_with_the_same_id_is_fine() -> None:
    a = rec(StageOverdue.event_type, "red-1")
    assert check(history(a, a), exp(DUE + timedelta(hours=5))) == []


def test_same_id_with_different_content_is_reported() -> None:
    a = rec(StageOverdue.event_type, "red-1")
    b = rec(StageOverdue.event_type, "red-1", department="500000-GAJ")
    assert any(
        "different contents" in x for x in check(history(a, b), exp(DUE + timedelta(hours=5)))
    )


def test_a_rung_without_the_one_below_is_reported() -> None:
    red = rec(StageOverdue.event_type, "red-1")
    r2 = rec(SupervisionEscalated.event_type, "rung-2", rung=2)
    assert any(
        "without rung 1" in x for x in check(history(red, r2), exp(DUE + timedelta(hours=5)))
    )


def test_a_case_stuck_without_an_open_stage_the_monitor_knows_is_reported() -> None:
    e = Expectations(now=T0 + timedelta(hours=1), monitor_open={})
    assert any("unknown to the monitor" in x for x in check(history(), e))


def test_an_unmatched_monitor_credit_incident_is_reported() -> None:
    inc = rec(
        CreditIncident.event_type,
        "inc",
        source_system="egov-monitor",
        subject_kind="department",
        subject_id="500000-SCJ",
        stage_id=STAGE,
        case_id=CASE,
    )
    closed = rec(StageClosed.event_type, "close", closed_at=(DUE - timedelta(hours=3)).isoformat())
    assert any(
        "no top-rung escalation" in x
        for x in check(history(closed, inc), exp(DUE + timedelta(days=3)))
    )


def test_dead_letters_must_be_exactly_the_bad_input() -> None:
    bad = b"not json"
    letter = BusRecord(DEAD_LETTER_TOPIC, 0, 1, None, bad, (("dlq.reason", b"not_json"),), None)
    closed = rec(StageClosed.event_type, "close", closed_at=(DUE - timedelta(hours=3)).isoformat())
    done = history(closed, rec(CaseDecided.event_type, "dec"), letter)
    assert check(done, exp(DUE, meant_bad={fingerprint(bad)})) == []
    assert any("unexpected dead letter" in x for x in check(done, exp(DUE)))
    missing = exp(DUE, meant_bad={fingerprint(bad), fingerprint(b"other")})
    assert any("never reached" in x for x in check(done, missing))


def test_summary_skips_bad_input_wearing_a_valid_envelope() -> None:
    from services.scenario.summary import summarise

    good = rec(CaseDecided.event_type, "dec")
    bad_env = make_envelope(
        model_for(CaseDecided.event_type).model_validate(EXAMPLES[CaseDecided.event_type]),
        source="/t",
        time=T0,
        id="bad",
    )
    bad = bad_env.model_copy(update={"data": {**bad_env.data, "case_id": {"wrong": 1}}})
    bad_rec = BusRecord("egov.stages", 0, 99, None, bad.to_json_bytes(), (), bad)
    summary = summarise([good, bad_rec])
    assert summary.decisions == {"approved": 1}


def test_the_summary_counts_cases_other_systems_published() -> None:
    from services.scenario.summary import external_case_ids, summarise

    ext = rec(CaseSubmitted.event_type, "ext", case_id="C-EXT", external_ref="bank/X1")
    assert external_case_ids([ext], {"X1"}) == {"C-EXT"}
    assert external_case_ids([ext], {"X2"}) == set()
    assert summarise([ext], set(), {"X1"}).cases_submitted == 1
    assert summarise([ext], set()).cases_submitted == 0


def test_a_flagged_or_escalated_parallel_parent_is_reported_and_an_unflagged_one_is_fine() -> None:
    quiet = [r for r in history() if r.envelope and r.envelope.id != "open"]
    parent_rec = rec(StageOpened.event_type, "open", due_at=DUE.isoformat(), parallel_mode="all")
    assert check([*quiet, parent_rec], exp(DUE + timedelta(days=3))) == []  # no clock of its own
    red = rec(StageOverdue.event_type, "red-1")
    rung = rec(SupervisionEscalated.event_type, "rung-1", rung=1)
    found = check([*quiet, parent_rec, red, rung], exp(DUE + timedelta(days=3)))
    assert any("parallel stage" in x and "flagged overdue" in x for x in found)
    assert any("parallel stage" in x and "escalated" in x for x in found)


def test_an_escalation_against_another_department_is_reported() -> None:
    red = rec(StageOverdue.event_type, "red-1")
    rung = rec(SupervisionEscalated.event_type, "rung-1", rung=1, department="500000-ZJW")
    found = check(history(red, rung), exp(DUE + timedelta(hours=5)))
    assert len(found) == 1 and "names department 500000-ZJW" in found[0]


def test_a_stage_flagged_overdue_that_closed_well_before_its_due_is_reported() -> None:
    red = rec(StageOverdue.event_type, "red-1")
    decided = rec(CaseDecided.event_type, "dec")
    early = rec(StageClosed.event_type, "close", closed_at=(DUE - timedelta(hours=3)).isoformat())
    found = check(history(red, early, decided), exp(DUE + timedelta(days=1)))
    assert len(found) == 1 and "flagged overdue but ended" in found[0]
    # a closing that reached the monitor just after its timer fired is within the grace
    close_call = rec(
        StageClosed.event_type, "close", closed_at=(DUE - timedelta(minutes=18)).isoformat()
    )
    assert check(history(red, close_call, decided), exp(DUE + timedelta(days=1))) == []
