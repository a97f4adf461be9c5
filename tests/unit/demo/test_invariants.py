"""The end-to-end checker must catch what it claims to catch: each test feeds it a bus history
with one defect and expects exactly that defect's sentence, and the same history without the
defect to pass. The invariants are numbered as in tests/support/invariants.py."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from demo.bus import BusRecord
from shared.contracts import (
    CaseDecided,
    CaseSubmitted,
    CreditIncident,
    NotificationDelivered,
    PreReviewDone,
    StageClosed,
    StageOpened,
    StageOverdue,
    StageResumed,
    StageSuspended,
    SupervisionEscalated,
)
from tests.support.bus_records import PUBLISHED_AT, breaking_contract, bus_record, dead_letter
from tests.support.invariants import Expectations, check, fingerprint

T0 = PUBLISHED_AT  # 2026-03-02 01:30 UTC, when the case was submitted
DUE = datetime(2026, 3, 3, 15, 59, 59, tzinfo=UTC)  # the example stage's deadline
LATER = DUE + timedelta(days=3)
CASE = "500000-20260302-000042"
STAGE = f"{CASE}:review"
rec = bus_record


def submitted() -> list[BusRecord]:
    """The case submitted, pre-reviewed and its review stage opened; nothing else yet."""
    return [
        rec(CaseSubmitted.event_type, "sub"),
        rec(PreReviewDone.event_type, "pre", outcome="passed"),
        rec(StageOpened.event_type, "open", due_at=DUE.isoformat()),
    ]


def closed_at(at: datetime, id: str = "close") -> BusRecord:
    return rec(StageClosed.event_type, id, closed_at=at.isoformat())


def decided(decision: str = "approved") -> BusRecord:
    return rec(CaseDecided.event_type, "dec", decision=decision)


def finished(*extra: BusRecord) -> list[BusRecord]:
    """The same case with its stage closed in time and the case decided."""
    return [*submitted(), closed_at(DUE - timedelta(hours=3)), decided(), *extra]


def overdue(id: str = "red-1", **over: Any) -> BusRecord:
    return rec(StageOverdue.event_type, id, **over)


def rung(n: int, id: str | None = None, **over: Any) -> BusRecord:
    return rec(SupervisionEscalated.event_type, id or f"rung-{n}", rung=n, **over)


def suspended(at: datetime, id: str = "stop-1") -> BusRecord:
    return rec(StageSuspended.event_type, id, suspended_at=at.isoformat())


def resumed(at: datetime, due: datetime, id: str = "run-1") -> BusRecord:
    return rec(StageResumed.event_type, id, resumed_at=at.isoformat(), due_at=due.isoformat())


def incident(id: str, source: str, **over: Any) -> BusRecord:
    return rec(CreditIncident.event_type, id, source_system=source, **over)


def from_monitor(id: str = "inc") -> BusRecord:
    return incident(
        id,
        "egov-monitor",
        subject_kind="department",
        subject_id="500000-SCJ",
        stage_id=STAGE,
        case_id=CASE,
        incident_type="overdue_escalation",
    )


def delivered(id: str, notification: str, channel: str = "email") -> BusRecord:
    return rec(NotificationDelivered.event_type, id, notification_id=notification, channel=channel)


def violations(records: list[BusRecord], now: datetime, **kw: Any) -> list[str]:
    kw.setdefault("monitor_open", {CASE: {STAGE}})
    return check(records, Expectations(now=now, **kw))


# -- a clean day ------------------------------------------------------------------------------


def test_a_day_where_every_promise_holds_has_no_violation() -> None:
    resumed_due = DUE + timedelta(days=1)
    bad = b"not json"
    day = [
        *submitted(),
        suspended(T0 + timedelta(hours=2)),
        resumed(T0 + timedelta(hours=26), resumed_due),
        overdue(),
        overdue(),  # a redelivered copy: same id, same content
        *(rung(n) for n in (1, 2, 3, 4)),
        from_monitor("inc-monitor"),
        delivered("d-1", "N-1"),
        delivered("d-1", "N-1"),
        delivered("d-2", "N-2", channel="sms"),  # the same alert on another channel
        closed_at(resumed_due + timedelta(days=1)),
        decided("revoked"),
        incident("inc-approval", "egov-approval", case_id=CASE),
        incident("inc-court", "cq-court"),
        dead_letter(bad, dlq_reason="not_json"),
    ]
    assert (
        violations(day, LATER, meant_bad={fingerprint(bad)}, external_credit_sources={"cq-court"})
        == []
    )
    # still running, before its deadline, and known to the monitor
    assert violations(submitted(), DUE - timedelta(hours=3)) == []


# -- 1. one id, one meaning -------------------------------------------------------------------


def test_one_event_id_with_two_contents_is_reported() -> None:
    other = overdue(department="500000-GAJ")
    assert violations([*submitted(), overdue(), other], DUE + timedelta(hours=5)) == [
        "event id red-1 was published with 2 different contents"
    ]


def test_a_dead_lettered_copy_does_not_count_as_a_second_meaning() -> None:
    other = overdue(department="500000-GAJ")
    # what the checker sees of a schema violation's copy: a valid envelope on the dead-letter topic
    letter = replace(
        dead_letter(other.value, dlq_reason="schema_violation"), envelope=other.envelope
    )
    found = violations(
        [*submitted(), overdue(), letter],
        DUE + timedelta(hours=5),
        meant_bad={fingerprint(other.value)},
    )
    assert found == []


# -- 2. deadlines: flagged once when past due, never early ------------------------------------


def test_a_stage_past_its_deadline_that_was_never_flagged_is_reported() -> None:
    assert violations(submitted(), DUE + timedelta(hours=3)) == [
        f"stage {STAGE} ran 3:00:00 past its deadline and was never flagged"
    ]
    assert violations(submitted(), DUE + timedelta(hours=1)) == []  # within the grace


def test_a_stage_flagged_twice_with_different_ids_is_reported() -> None:
    found = violations([*submitted(), overdue("red-1"), overdue("red-2")], DUE + timedelta(hours=5))
    assert found == [f"stage {STAGE} was flagged overdue 2 times with different ids"]


def test_a_stage_flagged_but_closed_well_before_its_due_is_reported() -> None:
    early = finished(overdue())
    assert violations(early, LATER) == [
        f"stage {STAGE} was flagged overdue but ended 3:00:00 before its due"
    ]
    # a closing that reached the monitor just after its timer fired is within the grace
    close_call = [*submitted(), closed_at(DUE - timedelta(minutes=18)), decided(), overdue()]
    assert violations(close_call, LATER) == []


def test_a_flag_that_overtook_an_early_closing_on_the_bus_is_the_clock_not_the_monitor() -> None:
    """On an accelerated clock a closing published seconds late is hours late: the monitor is
    at fault only when the closing was on the bus well (Expectations.bus_lag) before its flag."""
    flag_ms = 1_796_183_736_527

    def closing_on_bus(ms_before_flag: int) -> list[BusRecord]:
        closing = replace(
            closed_at(DUE - timedelta(hours=4)), timestamp_ms=flag_ms - ms_before_flag
        )
        flag = replace(overdue(), timestamp_ms=flag_ms)
        return [*submitted(), closing, decided(), flag]

    assert violations(closing_on_bus(-2_200), LATER) == []  # published after the flag
    assert violations(closing_on_bus(78), LATER) == []  # 78 ms before it: a race
    assert violations(closing_on_bus(60_000), LATER) == [  # a minute before: ignored
        f"stage {STAGE} was flagged overdue but ended 4:00:00 before its due"
    ]


def test_a_suspended_stage_is_judged_at_the_instant_its_clock_stopped() -> None:
    # stopped a day before its deadline: days later it is still not overdue
    assert violations([*submitted(), suspended(DUE - timedelta(days=1))], LATER) == []
    # stopped five hours after its deadline: it should have been flagged before it stopped
    late_stop = [*submitted(), suspended(DUE + timedelta(hours=5))]
    assert violations(late_stop, LATER) == [
        f"stage {STAGE} ran 5:00:00 past its deadline and was never flagged"
    ]
    assert violations([*late_stop, overdue()], LATER) == []


def test_a_suspended_stage_may_be_flagged_once_its_suspension_overran() -> None:
    # The monitor supervises a suspension again once its maximum passes (domain.overrun) and
    # says so with no StageResumed: a flag on a stage stopped long before its due is no defect.
    stopped = [*submitted(), suspended(DUE - timedelta(days=1)), overdue()]
    assert violations(stopped, LATER) == []


def test_a_resumed_stage_is_judged_against_its_new_deadline() -> None:
    new_due = DUE + timedelta(days=1)
    history = [
        *submitted(),
        suspended(T0 + timedelta(hours=2)),
        resumed(T0 + timedelta(hours=26), new_due),
    ]
    assert violations(history, DUE + timedelta(hours=5)) == []  # past the old due only
    assert violations(history, new_due + timedelta(hours=3)) == [
        f"stage {STAGE} ran 3:00:00 past its deadline and was never flagged"
    ]


def test_stops_and_resumptions_count_in_the_order_they_happened() -> None:
    # Stopped, resumed, stopped again before the new deadline: its clock stands still now,
    # whatever order the records come in from the partitions.
    new_due = DUE + timedelta(days=1)
    first, again = (
        suspended(T0 + timedelta(hours=2)),
        suspended(new_due - timedelta(hours=5), "stop-2"),
    )
    back = resumed(T0 + timedelta(hours=26), new_due)
    for order in ([first, back, again], [again, back, first], [back, again, first]):
        assert violations([*submitted(), *order], LATER) == []
    # stopped, then resumed: it runs again, and from the resumed deadline on must be flagged
    assert violations([*submitted(), back, first], new_due + timedelta(hours=3)) == [
        f"stage {STAGE} ran 3:00:00 past its deadline and was never flagged"
    ]


def test_the_parent_of_a_parallel_stage_is_never_supervised_itself() -> None:
    parent = rec(StageOpened.event_type, "open", due_at=DUE.isoformat(), parallel_mode="all")
    quiet = [*submitted()[:2], parent]
    assert violations(quiet, LATER) == []  # no clock of its own
    assert violations([*quiet, overdue()], LATER) == [
        f"parallel stage {STAGE} was flagged overdue: only sub-tasks are"
    ]
    assert violations([*quiet, overdue(), rung(1)], LATER) == [
        f"parallel stage {STAGE} was flagged overdue: only sub-tasks are",
        f"parallel stage {STAGE} was escalated (rung 1): only sub-tasks are",
    ]
    sub_id = f"{STAGE}:500000-GAJ"
    sub = rec(
        StageOpened.event_type,
        "open-sub",
        stage_id=sub_id,
        parent_stage_id=STAGE,
        parallel_mode="all",
        due_at=DUE.isoformat(),
    )
    flagged_sub = overdue("red-sub", stage_id=sub_id)
    open_both = {CASE: {STAGE, sub_id}}
    assert violations([*quiet, sub, flagged_sub], LATER, monitor_open=open_both) == []


def test_a_rung_reached_twice_with_different_ids_is_reported() -> None:
    twice = [*submitted(), overdue(), rung(1, "rung-1"), rung(1, "rung-1-again")]
    assert violations(twice, DUE + timedelta(hours=5)) == [
        f"rung 1 of stage {STAGE} appeared 2 times with different ids"
    ]


def test_a_rung_without_the_one_below_is_reported() -> None:
    assert violations([*submitted(), overdue(), rung(2)], DUE + timedelta(hours=5)) == [
        f"stage {STAGE} reached rung 2 without rung 1"
    ]


def test_an_escalation_of_a_stage_never_flagged_is_reported() -> None:
    assert violations([*submitted(), rung(1)], DUE - timedelta(hours=3)) == [
        f"stage {STAGE} was escalated (rung 1) but never flagged overdue"
    ]


def test_an_escalation_naming_another_department_is_reported() -> None:
    wrong = rung(1, department="500000-ZJW")
    assert violations([*submitted(), overdue(), wrong], DUE + timedelta(hours=5)) == [
        f"escalation rung-1 names department 500000-ZJW, but stage {STAGE} belongs to 500000-SCJ"
    ]


# -- 3. every case has its pre-review outcome and is decided or open where the monitor sees it -


def test_a_case_without_a_pre_review_outcome_is_reported() -> None:
    opened, _, review = submitted()
    assert violations([opened, review], DUE - timedelta(hours=3)) == [
        f"case {CASE} has no pre-review outcome and no open pre-review stage"
    ]
    prereview_id = f"{CASE}:prereview"
    in_prereview = rec(StageOpened.event_type, "open-pre", stage_id=prereview_id, stage="prereview")
    open_both = {CASE: {STAGE, prereview_id}}
    assert violations([opened, review, in_prereview], T0, monitor_open=open_both) == []


def test_a_case_neither_decided_nor_open_is_reported() -> None:
    stalled = [*submitted(), closed_at(DUE - timedelta(hours=3))]
    assert violations(stalled, LATER) == [f"case {CASE} is neither decided nor has an open stage"]


def test_an_open_stage_the_monitor_does_not_know_is_reported() -> None:
    assert violations(submitted(), T0 + timedelta(hours=1), monitor_open={}) == [
        f"case {CASE}: open stages unknown to the monitor: ['{STAGE}']"
    ]


# -- 4. each notification delivered once ------------------------------------------------------


def test_a_notification_delivered_twice_is_reported() -> None:
    twice = finished(delivered("d-1", "N-1"), delivered("d-2", "N-1-again"))
    assert violations(twice, LATER) == [
        "notification ('e1', 'cq-scj-r1', 'email') was delivered 2 times"
    ]


# -- 5. every credit incident matches its source ----------------------------------------------


def test_a_monitor_credit_incident_without_a_top_rung_escalation_is_reported() -> None:
    below_top = [*submitted(), overdue(), rung(1), rung(2), rung(3), from_monitor()]
    assert violations(below_top, DUE + timedelta(hours=5)) == [
        f"credit incident inc from the monitor has no top-rung escalation for {STAGE}"
    ]
    assert violations([*below_top, rung(4)], DUE + timedelta(hours=5)) == []


def test_an_approval_credit_incident_without_a_revocation_is_reported() -> None:
    inc = incident("inc", "egov-approval", case_id=CASE)
    assert violations(finished(inc), LATER) == [
        f"credit incident inc from approval has no revoked decision for {CASE}"
    ]


def test_a_credit_incident_from_an_unknown_source_is_reported() -> None:
    inc = incident("inc", "cq-court")
    assert violations(finished(inc), LATER) == [
        "credit incident inc from unexpected source 'cq-court'"
    ]
    assert violations(finished(inc), LATER, external_credit_sources={"cq-court"}) == []


# -- 6. the dead-letter topic holds exactly what was meant to be bad --------------------------


def test_an_unexpected_dead_letter_is_reported() -> None:
    letter = dead_letter(
        b"{}",
        dlq_source_topic="egov.cases",
        dlq_source_offset="17",
        dlq_reason="invalid_envelope",
        dlq_error="missing id",
    )
    assert violations(finished(letter), LATER) == [
        "unexpected dead letter from egov.cases@17 (invalid_envelope: missing id)"
    ]


def test_a_bad_message_that_never_reached_the_dead_letter_topic_is_reported() -> None:
    bad = b"not json"
    letter = dead_letter(bad, dlq_reason="not_json")
    meant = {fingerprint(bad), fingerprint(b"other")}
    assert violations(finished(letter), LATER, meant_bad=meant) == [
        "1 deliberately bad message(s) never reached the dead-letter topic"
    ]


# -- what is checked at all -------------------------------------------------------------------


def test_only_the_followed_cases_are_checked() -> None:
    other = "500000-20260302-000043"
    stage = f"{other}:review"
    ids = {"case_id": other, "stage_id": stage}
    theirs = [
        rec(CaseSubmitted.event_type, "o-sub", case_id=other),  # no pre-review outcome
        rec(StageOpened.event_type, "o-open", due_at=DUE.isoformat(), **ids),
        rec(StageSuspended.event_type, "o-stop", **ids),
        rec(StageResumed.event_type, "o-run", **ids),
        rec(StageClosed.event_type, "o-close", closed_at=LATER.isoformat(), **ids),
        rung(1, "o-rung", **ids),  # never flagged
        rec(NotificationDelivered.event_type, "o-d1", notification_id="O-1", case_id=other),
        rec(NotificationDelivered.event_type, "o-d2", notification_id="O-2", case_id=other),
        incident("o-inc-m", "egov-monitor", case_id=other, stage_id=stage),
        incident("o-inc-a", "egov-approval", case_id=other),
    ]
    assert violations(finished(*theirs), LATER, cases={CASE}) == []
    # followed, every defect of theirs shows (the resumption moved their due to 5 March)
    assert violations(finished(*theirs), LATER) == [
        f"stage {stage} ran 1 day, 0:00:00 past its deadline and was never flagged",
        f"stage {stage} was escalated (rung 1) but never flagged overdue",
        f"case {other} has no pre-review outcome and no open pre-review stage",
        f"case {other} is neither decided nor has an open stage",
        "notification ('e1', 'cq-scj-r1', 'email') was delivered 2 times",
        f"credit incident o-inc-m from the monitor has no top-rung escalation for {stage}",
        f"credit incident o-inc-a from approval has no revoked decision for {other}",
    ]


def test_an_event_whose_data_breaks_its_contract_is_left_to_the_dead_letter_check() -> None:
    # A stage whose deadline is not a time opens no clock: nothing can be overdue about it.
    bad = breaking_contract(StageOpened.event_type, "open-bad", stage_id="x:review", due_at="soon")
    assert violations(finished(bad), LATER) == []
