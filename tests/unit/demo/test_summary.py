"""The day's summary counts what the bus holds, skipping what is not a valid event."""

from __future__ import annotations

from demo.summary import external_case_ids, summarise
from shared.contracts import CaseDecided, CaseSubmitted
from tests.support.bus_records import breaking_contract, bus_record


def test_summary_skips_bad_input_wearing_a_valid_envelope() -> None:
    good = bus_record(CaseDecided.event_type, "dec")
    bad = breaking_contract(CaseDecided.event_type, "bad", case_id={"wrong": 1})
    assert summarise([good, bad]).decisions == {"approved": 1}


def test_the_summary_counts_cases_other_systems_published() -> None:
    ext = bus_record(CaseSubmitted.event_type, "ext", case_id="C-EXT", external_ref="bank/X1")
    assert external_case_ids([ext], {"X1"}) == {"C-EXT"}
    assert external_case_ids([ext], {"X2"}) == set()
    assert summarise([ext], set(), {"X1"}).cases_submitted == 1
    assert summarise([ext], set()).cases_submitted == 0
