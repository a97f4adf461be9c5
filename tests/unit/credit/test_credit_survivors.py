"""Visibility rules of docs/credit.md that the mutation run left unpinned
(docs/mutation/services-credit-domain.md): each test names the surviving mutants it kills."""

from __future__ import annotations

from services.credit.domain import (
    RuleModel,
    Status,
    Viewer,
    credit_view,
    evaluate,
    viewer_for,
)
from shared.contracts import Severity, SubjectKind
from tests.unit.credit.credit_fakes import START, person_record

PERSON = "500103199005170126"
RULES = RuleModel()


RECORDS = [
    person_record(1, Status.ACTIVE, 1),
    person_record(2, Status.CORRECTED, 2),
    person_record(3, Status.DISPUTED, 3),
    person_record(4, Status.REVOKED, 4),
    person_record(5, Status.REPAIRED, 5),
    person_record(6, Status.ACTIVE, 200),  # publicity over, still in effect
]


def _view(viewer: Viewer) -> dict[str, object]:
    return credit_view(
        subject_id=PERSON,
        kind=SubjectKind.PERSON,
        standing=evaluate(RECORDS, START, RULES),
        records=RECORDS,
        viewer=viewer,
        as_of=START,
    )


def test_a_system_caller_of_the_credit_department_is_not_the_credit_office() -> None:
    """Systems get the standing and summaries, whatever department they name. Kills
    visibility.x_is_credit_office__mutmut_10 and _11 (`system` no longer taken out)."""
    assert viewer_for(PERSON, "svc-credit", {"system"}, "500000-FGW") == Viewer.OFFICER


def test_the_full_view_keeps_the_storage_and_audit_fields_out() -> None:
    """The audit head is "not shown in views", nor the storage key; the view is JSON (times as
    ISO strings). Kills visibility.x__full__mutmut_1 to _12."""
    for viewer in (Viewer.SUBJECT, Viewer.CREDIT_OFFICE):
        records = _view(viewer)["records"]
        assert isinstance(records, list) and len(records) == len(RECORDS)
        for record in records:
            assert not {"origin_key", "audit_seq", "audit_head"} & set(record)
            assert isinstance(record["occurred_at"], str)
            assert record["status"] in {s.value for s in Status}


def test_other_officers_see_the_records_in_effect_as_summaries() -> None:
    """Records in effect (`active`, `corrected`, publicity over or not) as summaries: no
    evidence, case ids or history, the resident ID masked. Kills
    visibility.x_is_in_effect__mutmut_2 (the statuses inverted) and x__public__mutmut_3, _4,
    _9 to _12, _15, _16, _20 to _25 (a summary field under another name)."""
    records = _view(Viewer.OFFICER)["records"]
    assert isinstance(records, list)
    assert [r["record_id"] for r in records] == ["CR-1", "CR-2", "CR-6"]
    first = records[0]
    assert first == {
        "record_id": "CR-1",
        "subject_id": "5001**********0126",
        "subject_kind": "person",
        "record_type": "false_commitment",
        "severity": Severity.GENERAL.value,
        "source_system": "t",
        "description": "5001**********0126 signed a false commitment",
        "status": "active",
        "occurred_at": RECORDS[0].occurred_at.isoformat(),
        "publicity_until": RECORDS[0].publicity_until.isoformat(),
    }
