"""Who sees what: the pure visibility rules."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from prometheus_client import REGISTRY

from services.credit import handlers
from services.credit.domain import (
    RuleModel,
    Status,
    Viewer,
    credit_view,
    evaluate,
    viewer_for,
)
from services.credit.handlers import on_credit_incident
from shared.auth import Principal
from shared.contracts import CreditIncident, SubjectKind, make_envelope
from tests.unit.credit.credit_fakes import START, make_deps, person_record

PERSON = "500103199005170126"
RULES = RuleModel()


@pytest.mark.parametrize(
    ("caller", "roles", "department", "expected"),
    [
        (PERSON, {"applicant"}, None, Viewer.SUBJECT),
        (PERSON.lower(), {"applicant"}, None, Viewer.SUBJECT),
        (PERSON, set(), None, Viewer.PUBLIC),  # the id alone is not enough: role applicant
        ("500103198501020338", {"applicant"}, None, Viewer.PUBLIC),
        ("o-1", {"handler"}, "500000-SCJ", Viewer.OFFICER),
        ("o-2", {"inspector"}, None, Viewer.OFFICER),
        ("o-3", {"handler"}, "500000-FGW", Viewer.CREDIT_OFFICE),
        ("o-4", {"approver"}, "510100-FGW", Viewer.CREDIT_OFFICE),
        ("a-1", {"admin"}, "500000-FGW", Viewer.OFFICER),
        ("svc-intake", {"system"}, None, Viewer.OFFICER),
        (None, set(), None, Viewer.PUBLIC),
    ],
)
def test_viewer_by_caller(
    caller: str | None, roles: set[str], department: str | None, expected: Viewer
) -> None:
    assert viewer_for(PERSON, caller, roles, department) == expected


def test_department_head_speaks_for_the_department() -> None:
    assert viewer_for("500000-SCJ", "head", {"department_head"}, "500000-SCJ") == Viewer.SUBJECT
    assert viewer_for("500000-SCJ", "head", {"department_head"}, "500000-ZJW") == Viewer.OFFICER


def test_public_sees_only_running_undisputed_records_masked() -> None:
    records = [
        person_record(1, Status.ACTIVE, 1),
        person_record(2, Status.CORRECTED, 2),
        person_record(3, Status.DISPUTED, 3),
        person_record(4, Status.REVOKED, 4),
        person_record(5, Status.REPAIRED, 5),
        person_record(6, Status.ACTIVE, 200),  # general: 3 months of publicity, over
    ]
    standing = evaluate(records, START, RULES)  # type: ignore[arg-type]
    public = credit_view(
        subject_id=PERSON,
        kind=SubjectKind.PERSON,
        standing=standing,
        records=records,  # type: ignore[arg-type]
        viewer=Viewer.PUBLIC,
        as_of=START,
    )
    assert [r["record_id"] for r in public["records"]] == ["CR-1", "CR-2"]
    assert PERSON not in str(public) and public["score"] is None
    assert public["records"][0]["description"] == "5001**********0126 signed a false commitment"
    own = credit_view(
        subject_id=PERSON,
        kind=SubjectKind.PERSON,
        standing=standing,
        records=records,  # type: ignore[arg-type]
        viewer=Viewer.SUBJECT,
        as_of=START,
    )
    assert len(own["records"]) == 6 and own["records"][0]["evidence"] == ["CASE-1"]


async def test_department_head_objects_to_a_department_record_and_metrics_count() -> None:
    deps = make_deps()
    labels = {"subject_kind": "department", "severity": "serious", "source": "egov-monitor"}
    before = REGISTRY.get_sample_value("egov_credit_records_total", labels) or 0.0
    data = CreditIncident.model_validate(
        {
            "subject_id": "500000-SCJ",
            "subject_kind": "department",
            "incident_type": "overdue_escalation",
            "severity": "serious",
            "source_system": "egov-monitor",
            "occurred_at": START,
        }
    )
    await on_credit_incident(deps, make_envelope(data, source="/egov/monitor", time=START), data)
    assert REGISTRY.get_sample_value("egov_credit_records_total", labels) == before + 1
    [record] = deps.store.records.values()  # type: ignore[attr-defined]
    assert record.region == "500000"
    head = Principal(subject="head", roles=frozenset({"department_head"}), department="500000-SCJ")
    other = Principal(subject="x", roles=frozenset({"department_head"}), department="500000-ZJW")
    with pytest.raises(handlers.Forbidden):
        await handlers.file_objection(deps, record.record_id, other, "not us")
    disputed = await handlers.file_objection(deps, record.record_id, head, "the applicant was late")
    assert disputed.status == Status.DISPUTED
    assert disputed.objections[0].department == "500000-FGW"
    assert datetime(2026, 3, 16, tzinfo=UTC) < disputed.objections[0].due_at
