"""The record's status machine writes what docs/credit.md says it keeps: every change an entry of
the append-only history (`at`, `action`, `status_from`, `status_to`, `actor`, `reason`), every
objection and repair application with its decision (who, why, when, the outcome). The mutation
run (docs/mutation/services-credit-domain.md) left these fields unpinned: a mutant dropping one,
or setting it under a misspelled key of `model_copy(update=...)`, survived."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.credit.domain import (
    CreditError,
    CreditRecord,
    HistoryEntry,
    RuleModel,
    Status,
    evaluate,
    new_record,
    new_subject,
    record_region,
)
from shared.contracts import Severity, SubjectKind
from tests.unit.credit.credit_fakes import START

PERSON = "500103199005170126"
DEPT = "500000-FGW"
RULES = RuleModel()
T1 = START + timedelta(days=1)
T2 = START + timedelta(days=2)
T3 = START + timedelta(days=3)


def _record(kind: SubjectKind = SubjectKind.PERSON, subject: str = PERSON) -> CreditRecord:
    return new_record(
        record_id="CR-1",
        origin_key="court|1",
        subject_id=subject,
        subject_kind=kind,
        subject_name="张三",
        record_type="false_commitment",
        severity=Severity.SERIOUS,
        source_system="court",
        evidence=["CASE-1"],
        description="signed a false commitment",
        case_id="CASE-1",
        region="500103",
        occurred_at=START - timedelta(days=3),
        now=START,
        rules=RULES,
    )


def _entry(record: CreditRecord) -> tuple[object, ...]:
    e = record.history[-1]
    return (e.at, e.action, e.status_from, e.status_to, e.actor, e.reason)


def test_a_new_record_keeps_its_subject_case_and_source() -> None:
    record = _record()
    assert (record.subject_name, record.case_id, record.department) == ("张三", "CASE-1", None)
    assert record.history == [
        HistoryEntry(
            at=START,
            action="recorded",
            status_to=Status.ACTIVE,
            actor="court",
            reason="signed a false commitment",
        )
    ]
    # a department record is on the department it names
    assert _record(SubjectKind.DEPARTMENT, DEPT).department == DEPT


def test_a_new_subject_carries_its_name_and_a_moved_standing_its_time() -> None:
    standing = evaluate([], START, RULES)
    subject = new_subject(PERSON, SubjectKind.PERSON, "张三", standing)
    assert (subject.subject_name, subject.version, subject.updated_at) == ("张三", 0, None)
    moved = subject.with_standing(evaluate([_record()], START, RULES), T1)
    assert (moved.version, moved.updated_at, moved.subject_name) == (1, T1, "张三")


def test_an_objection_and_its_decision_are_kept_with_who_why_and_when() -> None:
    filed = _record().file_objection(
        objection_id="OBJ-CR-1-1",
        actor=PERSON,
        reason="not me",
        at=T1,
        due_at=T3,
        department="500000-XYB",
        due_provisional=True,
        due_calendar="cal-1",
    )
    assert _entry(filed) == (
        T1,
        "objection_filed",
        Status.ACTIVE,
        Status.DISPUTED,
        PERSON,
        "not me",
    )
    objection = filed.objections[0]
    assert (objection.filed_by, objection.reason, objection.region) == (PERSON, "not me", "500103")
    assert (objection.due_at, objection.due_provisional, objection.due_calendar) == (
        T3,
        True,
        "cal-1",
    )

    later = T3 + timedelta(days=1)
    recounted = filed.objection_due_recomputed(later, provisional=False, calendar_version="cal-2")
    moved = recounted.objections[0]
    assert (moved.due_at, moved.due_provisional, moved.due_calendar) == (later, False, "cal-2")
    assert (moved.objection_id, moved.outcome) == ("OBJ-CR-1-1", None)

    upheld = recounted.decide_objection(
        upheld=True,
        resolution=Status.CORRECTED,
        actor="supervisor-1",
        reason="wrong severity",
        at=T2,
        corrected_severity=Severity.GENERAL,
        corrected_description="late filing",
        publicity_until=T3,
    )
    assert _entry(upheld) == (
        T2,
        "objection_upheld",
        Status.DISPUTED,
        Status.CORRECTED,
        "supervisor-1",
        "wrong severity",
    )
    decided = upheld.objections[0]
    assert (decided.outcome, decided.decided_by, decided.decision_reason, decided.decided_at) == (
        "upheld",
        "supervisor-1",
        "wrong severity",
        T2,
    )
    assert (upheld.severity, upheld.description, upheld.publicity_until) == (
        Severity.GENERAL,
        "late filing",
        T3,
    )
    assert upheld.open_objection is None


def test_a_rejected_objection_is_recorded_as_rejected() -> None:
    filed = _record().file_objection(
        objection_id="OBJ-CR-1-1", actor=PERSON, reason="not me", at=T1, due_at=T3, department="d"
    )
    rejected = filed.decide_objection(
        upheld=False, resolution=None, actor="supervisor-1", reason="proven", at=T2
    )
    assert _entry(rejected) == (
        T2,
        "objection_rejected",
        Status.DISPUTED,
        Status.ACTIVE,
        "supervisor-1",
        "proven",
    )
    assert rejected.objections[0].outcome == "rejected"


def test_no_decision_on_a_record_no_longer_disputed() -> None:
    """An objection left open on a record that is not disputed (stored before the status moved
    on, say) cannot be decided: the status guards the decision, not only the open objection."""
    filed = _record().file_objection(
        objection_id="OBJ-CR-1-1", actor=PERSON, reason="not me", at=T1, due_at=T3, department="d"
    )
    stale = filed.model_copy(update={"status": Status.ACTIVE})
    with pytest.raises(CreditError):
        stale.decide_objection(
            upheld=False, resolution=None, actor="supervisor-1", reason="r", at=T2
        )


@pytest.mark.parametrize("approved", [True, False])
def test_a_repair_application_and_its_decision_are_in_the_history(approved: bool) -> None:
    record = _record()
    applied = record.apply_for_repair(
        actor=PERSON, rectification="paid the fine", evidence=["receipt"], at=T1, earliest=START
    )
    assert _entry(applied) == (
        T1,
        "repair_applied",
        Status.ACTIVE,
        Status.ACTIVE,
        PERSON,
        "paid the fine",
    )
    application = applied.repairs[0]
    assert (application.applied_by, application.rectification, application.evidence) == (
        PERSON,
        "paid the fine",
        ["receipt"],
    )
    decided = applied.decide_repair(approved=approved, actor="approver-1", reason="ok", at=T2)
    status = Status.REPAIRED if approved else Status.ACTIVE
    action = "repair_approved" if approved else "repair_refused"
    assert _entry(decided) == (T2, action, Status.ACTIVE, status, "approver-1", "ok")
    repair = decided.repairs[0]
    assert (repair.outcome, repair.decided_by, repair.decision_reason, repair.decided_at) == (
        "approved" if approved else "refused",
        "approver-1",
        "ok",
        T2,
    )
    assert decided.pending_repair is None


def test_a_record_is_handled_in_its_own_region_else_the_departments_else_the_default() -> None:
    assert record_region(SubjectKind.PERSON, PERSON, "500103", "500000") == "500103"
    assert record_region(SubjectKind.DEPARTMENT, "510100-FGW", None, "500000") == "510100"
    assert record_region(SubjectKind.PERSON, PERSON, None, "500000") == "500000"
    assert record_region(SubjectKind.ENTITY, "91500000000007077L", "", "500000") == "500000"


def test_a_refused_command_says_why() -> None:
    """The messages are the 409 responses' `detail`."""
    record = _record()
    filed = record.file_objection(
        objection_id="OBJ-CR-1-1", actor=PERSON, reason="not me", at=T1, due_at=T3, department="d"
    )
    refusals = [
        (
            lambda: record.decide_objection(
                upheld=False, resolution=None, actor="s", reason="r", at=T2
            ),
            "the record has no open objection",
        ),
        (
            lambda: filed.decide_objection(
                upheld=True, resolution=Status.ACTIVE, actor="s", reason="r", at=T2
            ),
            "an upheld objection corrects or revokes the record",
        ),
        (
            lambda: filed.file_objection(
                objection_id="OBJ-2", actor=PERSON, reason="again", at=T2, due_at=T3, department="d"
            ),
            "a disputed record cannot be disputed",
        ),
        (
            lambda: record.objection_due_recomputed(T3, provisional=False, calendar_version="c"),
            "record CR-1 has no open objection",
        ),
        (
            lambda: filed.apply_for_repair(
                actor=PERSON, rectification="r", evidence=[], at=T2, earliest=START
            ),
            "a disputed record cannot be repaired",
        ),
        (
            lambda: record.decide_repair(approved=True, actor="s", reason="r", at=T2),
            "the record has no pending repair application",
        ),
    ]
    for command, detail in refusals:
        with pytest.raises(CreditError) as refused:
            command()
        assert str(refused.value) == detail
    applied = record.apply_for_repair(
        actor=PERSON, rectification="r", evidence=[], at=T1, earliest=START
    )
    with pytest.raises(CreditError) as refused:
        applied.apply_for_repair(
            actor=PERSON, rectification="r", evidence=[], at=T2, earliest=START
        )
    assert str(refused.value) == "a repair application is already pending"
    revoked_pending = applied.model_copy(update={"status": Status.REVOKED})
    with pytest.raises(CreditError) as refused:
        revoked_pending.decide_repair(approved=True, actor="s", reason="r", at=T2)
    assert str(refused.value) == "a revoked record cannot be repaired"
