"""Incident handling, objections and repair through the handlers, on in-memory fakes."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from services.credit import handlers
from services.credit.domain import CreditError, RepairTooEarly, Status
from services.credit.handlers import on_credit_incident, reevaluate
from shared.auth import Principal
from shared.calendar import Limit
from shared.clock import SHANGHAI, FixedClock
from shared.contracts import CreditChanged, CreditIncident, Envelope, Severity, make_envelope
from shared.identifiers import make_resident_id, make_uscc
from shared.kafka import PermanentError
from tests.support.tokens import applicant_principal
from tests.unit.credit.credit_fakes import START, FakeStore, make_deps

EXAMPLE = (Path(__file__).parents[3] / "services/credit/examples/court_incident.json").read_bytes()
PERSON = make_resident_id("500103", datetime(1990, 5, 17).date(), 12)
ENTITY = make_uscc(7)


def incident(
    subject_id: str = PERSON,
    kind: str = "person",
    severity: str = "serious",
    source: str = "/egov/approval",
    **extra: object,
) -> tuple[Envelope, CreditIncident]:
    data = CreditIncident.model_validate(
        {
            "subject_id": subject_id,
            "subject_kind": kind,
            "incident_type": "false_commitment",
            "severity": severity,
            "source_system": "egov-approval",
            "evidence": ["CASE-1"],
            "occurred_at": START,
            **extra,
        }
    )
    return make_envelope(data, source=source, time=START), data


def store(deps: object) -> FakeStore:
    s = deps.store  # type: ignore[attr-defined]
    assert isinstance(s, FakeStore)
    return s


async def test_incident_creates_a_record_and_publishes_credit_changed() -> None:
    deps = make_deps()
    env, data = incident()
    await on_credit_incident(deps, env, data)
    fake = store(deps)
    [record] = fake.records.values()
    assert record.status == Status.ACTIVE and record.severity == Severity.SERIOUS
    assert record.publicity_until == datetime(2027, 3, 2, 2, 0, tzinfo=UTC)
    [changed] = fake.events("credit.changed.v1")
    body = CreditChanged.model_validate(changed.data)
    assert (body.previous_level, body.level, body.red_list) == ("A", "B", False)
    assert changed.causationid == env.id and changed.subject == PERSON


async def test_duplicate_incident_is_ignored() -> None:
    deps = make_deps()
    env, data = incident()
    await on_credit_incident(deps, env, data)
    await on_credit_incident(deps, env, data)
    assert len(store(deps).records) == 1
    assert len(store(deps).events("credit.changed.v1")) == 1


async def test_second_general_record_changes_nothing_visible_so_no_event() -> None:
    deps = make_deps()
    for _ in range(2):
        env, data = incident(severity="general")
        await on_credit_incident(deps, env, data)
    assert len(store(deps).records) == 2
    assert len(store(deps).events("credit.changed.v1")) == 1  # only red list lost, once


@pytest.mark.parametrize(
    ("subject_id", "kind", "reason"),
    [
        ("500103199005170127", "person", "check character"),
        (ENTITY[:-1] + ("0" if ENTITY[-1] != "0" else "1"), "entity", "check character"),
        ("999999-XXX", "department", "not a known department"),
        (PERSON, "entity", "social credit code"),
    ],
)
async def test_invalid_subject_ids_are_rejected_permanently(
    subject_id: str, kind: str, reason: str
) -> None:
    deps = make_deps()
    env, data = incident(subject_id, kind)
    with pytest.raises(PermanentError, match=reason):
        await on_credit_incident(deps, env, data)
    assert not store(deps).records


async def test_future_incident_is_rejected() -> None:
    deps = make_deps()
    env, data = incident(occurred_at=START + timedelta(days=3))
    with pytest.raises(PermanentError, match="future"):
        await on_credit_incident(deps, env, data)


async def test_concurrent_incidents_give_a_consistent_level() -> None:
    deps = make_deps()
    pairs = [incident(ENTITY, "entity", severity="general") for _ in range(20)]
    await asyncio.gather(*(on_credit_incident(deps, e, d) for e, d in pairs))
    fake = store(deps)
    assert len(fake.records) == 20
    subject = fake.subjects[ENTITY]
    assert subject.version == 20 and subject.score == pytest.approx(0.0)
    assert subject.level == "D" and subject.black_list
    levels = [e.data["level"] for e in fake.events("credit.changed.v1")]
    assert levels[-1] == "D" and fake.conflicts > 0


def applicant(subject_id: str = PERSON) -> Principal:
    return applicant_principal(subject_id)


FGW = Principal(subject="officer-fgw", roles=frozenset({"supervisor"}), department="500000-FGW")


async def test_objection_rejected_then_upheld_with_stage_events() -> None:
    deps = make_deps()
    env, data = incident(region="500000")
    await on_credit_incident(deps, env, data)
    [record] = store(deps).records.values()
    with pytest.raises(handlers.Forbidden):
        await handlers.file_objection(deps, record.record_id, applicant(ENTITY), "not me")
    disputed = await handlers.file_objection(deps, record.record_id, applicant(), "not me")
    assert disputed.status == Status.DISPUTED
    objection = disputed.objections[0]
    [opened] = store(deps).events("stage.opened.v1")
    assert opened.data["case_id"] == objection.objection_id
    assert opened.data["stage"] == "objection" and opened.data["department"] == "500000-FGW"
    due = deps.calendar.deadline(START, Limit(value=10))  # 10 working days
    assert datetime.fromisoformat(opened.data["due_at"]) == due == objection.due_at
    assert due.astimezone(SHANGHAI).date().isoformat() == "2026-03-16"
    other = Principal(subject="x", roles=frozenset({"supervisor"}), department="510100-FGW")
    with pytest.raises(handlers.Forbidden):
        await handlers.decide_objection(
            deps, objection.objection_id, other, upheld=False, resolution=None, reason="no"
        )
    active = await handlers.decide_objection(
        deps, objection.objection_id, FGW, upheld=False, resolution=None, reason="evidence holds"
    )
    assert active.status == Status.ACTIVE
    [closed] = store(deps).events("stage.closed.v1")
    assert closed.data["outcome"] == "denied" and closed.data["reason"] == "evidence holds"
    second = await handlers.file_objection(deps, record.record_id, applicant(), "new proof")
    revoked = await handlers.decide_objection(
        deps,
        second.objections[-1].objection_id,
        FGW,
        upheld=True,
        resolution=Status.REVOKED,
        reason="court annulled",
    )
    assert revoked.status == Status.REVOKED
    actions = [h.action for h in revoked.history]
    assert actions == [
        "recorded",
        "objection_filed",
        "objection_rejected",
        "objection_filed",
        "objection_upheld",
    ]
    assert store(deps).subjects[PERSON].level == "A"
    assert store(deps).events("credit.changed.v1")[-1].data["level"] == "A"


async def test_objection_corrects_severity() -> None:
    deps = make_deps()
    env, data = incident(severity="very_serious")
    await on_credit_incident(deps, env, data)
    [record] = store(deps).records.values()
    assert store(deps).subjects[PERSON].black_list
    disputed = await handlers.file_objection(deps, record.record_id, applicant(), "too harsh")
    corrected = await handlers.decide_objection(
        deps,
        disputed.objections[0].objection_id,
        FGW,
        upheld=True,
        resolution=Status.CORRECTED,
        reason="general only",
        corrected_severity=Severity.GENERAL,
    )
    assert corrected.status == Status.CORRECTED and corrected.severity == Severity.GENERAL
    assert corrected.publicity_until == datetime(2026, 6, 2, 2, 0, tzinfo=UTC)
    assert not store(deps).subjects[PERSON].black_list
    with pytest.raises(CreditError):
        await handlers.decide_objection(
            deps,
            disputed.objections[0].objection_id,
            FGW,
            upheld=False,
            resolution=None,
            reason="x",
        )


@pytest.mark.parametrize(
    ("severity", "months"), [("general", 1), ("serious", 3), ("very_serious", 12)]
)
async def test_repair_timing_by_severity(severity: str, months: int) -> None:
    clock = FixedClock(START)
    deps = make_deps(clock)
    env, data = incident(severity=severity)
    await on_credit_incident(deps, env, data)
    [record] = store(deps).records.values()
    earliest = (
        START.replace(month=START.month + months)
        if months < 10
        else START.replace(year=START.year + 1)
    )
    clock.set(earliest - timedelta(minutes=1))
    with pytest.raises(RepairTooEarly) as too_early:
        await handlers.apply_for_repair(deps, record.record_id, applicant(), "paid the fine", [])
    assert too_early.value.earliest == earliest
    clock.set(earliest)
    pending = await handlers.apply_for_repair(deps, record.record_id, applicant(), "paid", [])
    assert pending.pending_repair is not None and pending.status == Status.ACTIVE
    chengdu = Principal(subject="cd", roles=frozenset({"supervisor"}), department="510100-FGW")
    with pytest.raises(handlers.Forbidden):
        await handlers.decide_repair(deps, record.record_id, chengdu, approved=True, reason="ok")
    repaired = await handlers.decide_repair(deps, record.record_id, FGW, approved=True, reason="ok")
    assert repaired.status == Status.REPAIRED
    subject = store(deps).subjects[PERSON]
    assert subject.level == "A" and not subject.black_list
    assert [h.action for h in repaired.history][-2:] == ["repair_applied", "repair_approved"]


async def test_documented_kcat_example_is_a_valid_incident() -> None:
    env = Envelope.from_json_bytes(EXAMPLE)
    data = CreditIncident.model_validate(env.data)
    assert env.subject == data.subject_id == data.event_key()
    deps = make_deps()
    await on_credit_incident(deps, env, data)
    [record] = store(deps).records.values()
    assert record.origin_key == f"{env.source}|{env.id}"
    subject = store(deps).subjects[data.subject_id]
    assert (subject.level, subject.black_list) == ("C", True)


async def test_time_alone_lifts_the_level_and_publishes_it() -> None:
    clock = FixedClock(START)
    deps = make_deps(clock)
    env, data = incident(severity="very_serious")
    await on_credit_incident(deps, env, data)
    assert not await reevaluate(deps, PERSON)  # nothing changed yet
    clock.advance(timedelta(days=3 * 366))  # publicity period over
    assert await reevaluate(deps, PERSON)
    last = store(deps).events("credit.changed.v1")[-1].data
    assert (last["previous_level"], last["level"], last["black_list"]) == ("C", "A", False)
    assert not await reevaluate(deps, PERSON)


async def test_repair_refused_keeps_the_record_and_disputed_records_cannot_be_repaired() -> None:
    clock = FixedClock(START)
    deps = make_deps(clock)
    env, data = incident(severity="general")
    await on_credit_incident(deps, env, data)
    [record] = store(deps).records.values()
    clock.advance(timedelta(days=40))
    await handlers.file_objection(deps, record.record_id, applicant(), "wrong person")
    with pytest.raises(CreditError, match="disputed"):
        await handlers.apply_for_repair(deps, record.record_id, applicant(), "fixed", [])
    with pytest.raises(CreditError, match="disputed"):
        await handlers.file_objection(deps, record.record_id, applicant(), "again")
    objection_id = store(deps).records[record.record_id].objections[0].objection_id
    await handlers.decide_objection(
        deps, objection_id, FGW, upheld=False, resolution=None, reason="holds"
    )
    await handlers.apply_for_repair(deps, record.record_id, applicant(), "fixed", [])
    with pytest.raises(CreditError, match="already pending"):
        await handlers.apply_for_repair(deps, record.record_id, applicant(), "fixed", [])
    refused = await handlers.decide_repair(
        deps, record.record_id, FGW, approved=False, reason="fine unpaid"
    )
    assert refused.status == Status.ACTIVE and refused.repairs[0].outcome == "refused"
    with pytest.raises(CreditError, match="no pending repair"):
        await handlers.decide_repair(deps, record.record_id, FGW, approved=True, reason="x")
    again = await handlers.apply_for_repair(deps, record.record_id, applicant(), "paid now", [])
    assert len(again.repairs) == 2 and again.pending_repair is not None
