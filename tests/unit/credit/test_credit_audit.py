"""A credit record's history is a keyed audit chain with who did each step (shared/audit), its
head checkpointed on the bus: an edited, cut or rewritten history is reported."""

from __future__ import annotations

from datetime import datetime

from services.credit import handlers
from services.credit.cli import RecordHistories
from services.credit.domain import CreditRecord
from services.credit.handlers import (
    AUDIT_CHAIN,
    Deps,
    audit_head,
    history_entries,
    on_credit_incident,
)
from shared.audit import AuditKeys, ChainHead, check_against_bus, verify
from shared.audit.report import audit_all, audit_chain
from shared.auth import Principal
from shared.contracts import AuditCheckpoint, CreditIncident, make_envelope
from shared.identifiers import make_resident_id
from tests.support.tokens import applicant_principal
from tests.unit.credit.credit_fakes import START, FakeStore, make_deps

PERSON = make_resident_id("500103", datetime(1990, 5, 17).date(), 12)
APPLICANT = applicant_principal(PERSON)
FGW = Principal(subject="officer-fgw", roles=frozenset({"supervisor"}), department="500000-FGW")


async def disputed_and_decided(deps: Deps) -> CreditRecord:
    data = CreditIncident.model_validate(
        {
            "subject_id": PERSON,
            "subject_kind": "person",
            "incident_type": "false_commitment",
            "severity": "serious",
            "source_system": "egov-approval",
            "occurred_at": START,
            "region": "500000",
        }
    )
    await on_credit_incident(deps, make_envelope(data, source="/egov/approval", time=START), data)
    fake = deps.store
    assert isinstance(fake, FakeStore)
    [record] = fake.records.values()
    disputed = await handlers.file_objection(deps, record.record_id, APPLICANT, "not me")
    return await handlers.decide_objection(
        deps,
        disputed.objections[0].objection_id,
        FGW,
        upheld=False,
        resolution=None,
        reason="evidence holds",
    )


def checkpoints(deps: Deps) -> list[AuditCheckpoint]:
    fake = deps.store
    assert isinstance(fake, FakeStore)
    published = [e for e in fake.outbox if e.type == AuditCheckpoint.event_type]
    return [AuditCheckpoint.model_validate(e.data) for e in published]


async def test_each_step_of_a_record_is_linked_with_its_actor_and_checkpointed() -> None:
    deps = make_deps()
    record = await disputed_and_decided(deps)
    entries = history_entries(record)
    assert [(e["seq"], e["action"], e["actor"]) for e in entries] == [
        (1, "recorded", "egov-approval"),
        (2, "objection_filed", APPLICANT.subject),
        (3, "objection_rejected", "officer-fgw"),
    ]
    head = audit_head(record)
    assert head == ChainHead(count=3, hash=entries[-1]["hash"])
    keys = deps.audit_keys
    assert (
        verify(entries, keys=keys, scope=AUDIT_CHAIN, chain_id=record.record_id, head=head) is None
    )
    bus = checkpoints(deps)
    assert [(c.chain, c.chain_id, c.count) for c in bus] == [
        (AUDIT_CHAIN, record.record_id, 1),
        (AUDIT_CHAIN, record.record_id, 2),
        (AUDIT_CHAIN, record.record_id, 3),
    ]
    assert check_against_bus(entries, head, bus, keys=keys) is None
    other = AuditKeys.from_setting("another-deployments-audit-key-of-32-characters")
    broken = verify(entries, keys=other, scope=AUDIT_CHAIN, chain_id=record.record_id, head=head)
    assert broken is not None and broken.seq == 1


async def test_an_edited_or_cut_history_is_reported_by_verify() -> None:
    deps = make_deps()
    record = await disputed_and_decided(deps)
    fake = deps.store
    assert isinstance(fake, FakeStore)
    source = RecordHistories(fake)
    keys = deps.audit_keys
    report = await audit_chain(source, record.record_id, keys=keys, bus=checkpoints(deps))
    assert report is not None and report.broken is None
    assert report.lines()[0].endswith("agrees with 3 on the bus)")

    history = list(record.history)
    history[2] = history[2].model_copy(update={"actor": "someone-else"})
    fake.records[record.record_id] = record.model_copy(update={"history": history})
    report = await audit_chain(source, record.record_id, keys=keys)
    assert report is not None and report.broken is not None
    assert report.lines()[0] == (
        f"record {record.record_id}: BROKEN at entry 3 (index 2): content does not match its "
        "keyed hash (altered, or hashed without the audit key)"
    )

    # The last step removed and the stored head moved back: only the bus still knows.
    cut = record.model_copy(
        update={
            "history": record.history[:2],
            "audit_seq": 2,
            "audit_head": record.history[1].hash,
        }
    )
    fake.records[record.record_id] = cut
    assert (await audit_chain(source, record.record_id, keys=keys)).broken is None  # type: ignore[union-attr]
    [report] = await audit_all(source, keys=keys, bus=checkpoints(deps))
    assert report.broken is not None and "the bus checkpointed entry 3" in report.broken.reason
