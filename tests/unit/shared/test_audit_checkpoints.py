"""The audit checkpoint contract (gov.egov.audit.checkpoint.v1 on egov.audit.checkpoints) and the
check of a stored chain against the checkpoints the bus kept: a rewrite of the database, entries
and head together and even under the right key, disagrees with the bus."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.audit import (
    DEV_AUDIT_KEY,
    AuditKeys,
    ChainHead,
    append,
    check_against_bus,
    checkpoint,
    latest_heads,
    of_chain,
    verify,
)
from shared.audit.bus import decode
from shared.audit.checkpoints import signature_ok
from shared.contracts import (
    TOPICS,
    AuditCheckpoint,
    make_envelope,
    model_for,
    topic_for,
    types_on_topic,
)
from shared.contracts.access import grants_for
from shared.contracts.examples import example_data
from shared.contracts.registry import topics_consumed_by

KEYS = AuditKeys.from_setting("the-deployments-audit-key-32-characters-or-more")
SCOPE = "approval.case"
T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def body(i: int, actor: str = "h-1") -> dict[str, Any]:
    return {"case_id": "C1", "at": T0.isoformat(), "action": f"a{i}", "actor": actor}


class Recorded:
    """A chain written in steps, with the checkpoint the service publishes at each step."""

    def __init__(self, steps: list[int], keys: AuditKeys = KEYS) -> None:
        self.entries: list[dict[str, Any]] = []
        self.head = ChainHead.start(SCOPE, "C1")
        self.bus: list[AuditCheckpoint] = []
        for step, n in enumerate(steps):
            new, self.head = append(keys, [body(i) for i in range(n)], head=self.head)
            self.entries += new
            at = T0 + timedelta(hours=step)
            self.bus.append(
                checkpoint(keys, chain=SCOPE, chain_id="C1", head=self.head, recorded_at=at)
            )


def test_the_checkpoint_is_a_registered_contract_on_its_own_topic() -> None:
    assert model_for("gov.egov.audit.checkpoint.v1") is AuditCheckpoint
    assert topic_for(AuditCheckpoint.event_type) == "egov.audit.checkpoints"
    assert types_on_topic("egov.audit.checkpoints") == [AuditCheckpoint.event_type]
    spec = TOPICS["egov.audit.checkpoints"]
    keepers = ("approval", "credit", "intake", "notify")  # notify: its admin changes
    assert spec.producers == keepers and spec.consumers == ("operator",)
    assert spec.retention_ms == -1 and spec.cleanup_policy == "delete"  # nothing forgotten
    assert "egov.audit.checkpoints" not in topics_consumed_by("approval")


def test_only_the_chain_keepers_write_checkpoints_and_the_operator_reads_them() -> None:
    def ops(party: str) -> set[str]:
        return {
            g.operation
            for g in grants_for(party)
            if g.resource == "topic" and g.name == "egov.audit.checkpoints"
        }

    keepers = ("approval", "credit", "intake", "notify")
    assert all(ops(party) == {"Write", "Describe"} for party in keepers)
    assert ops("operator") == {"Read", "Describe"}  # reads; cannot add checkpoints
    assert ops("monitor") == set()


def test_the_published_example_verifies_under_the_development_key() -> None:
    example = example_data(AuditCheckpoint.event_type)
    assert isinstance(example, AuditCheckpoint)
    assert signature_ok(AuditKeys.from_setting(DEV_AUDIT_KEY), example)
    assert not signature_ok(KEYS, example)


def test_a_checkpoint_survives_the_bus_and_its_signature_covers_every_field() -> None:
    rec = Recorded([3])
    [cp] = rec.bus
    envelope = make_envelope(cp, source="/egov/approval", time=T0)
    assert envelope.subject == "C1"
    back = decode(envelope.to_json_bytes())
    assert back == cp and signature_ok(KEYS, back)
    changes: dict[str, Any] = {
        "count": 2,
        "head": "0" * 64,
        "chain_id": "C2",
        "chain": "intake.case",
        "recorded_at": T0 + timedelta(seconds=1),
    }
    for name, value in changes.items():
        assert not signature_ok(KEYS, cp.model_copy(update={name: value})), name


def test_decode_refuses_another_type_on_the_topic() -> None:
    other = make_envelope(
        example_data("gov.egov.case.rated.v1"), source="/egov/intake", time=T0
    ).to_json_bytes()
    with pytest.raises(ValueError, match="case.rated"):
        decode(other)


def test_a_chain_that_agrees_with_its_checkpoints_passes() -> None:
    rec = Recorded([3, 1, 2])
    assert check_against_bus(rec.entries, rec.head, rec.bus, keys=KEYS) is None
    assert latest_heads(rec.bus, SCOPE) == {"C1": rec.head}
    assert of_chain(reversed(rec.bus), SCOPE, "C1") == rec.bus


def test_tail_dropped_and_head_moved_back_passes_the_database_alone_but_not_the_bus() -> None:
    rec = Recorded([3, 2])
    cut = rec.entries[:3]
    moved_back = ChainHead(count=3, hash=cut[-1]["hash"])
    assert verify(cut, keys=KEYS, scope=SCOPE, chain_id="C1", head=moved_back) is None
    broken = check_against_bus(cut, moved_back, rec.bus, keys=KEYS)
    assert broken is not None and (broken.index, broken.seq) == (3, 4)
    assert "the bus checkpointed entry 5" in broken.reason
    assert "entries 4-5 were removed" in broken.reason


def test_a_rewrite_under_the_right_key_disagrees_with_the_older_checkpoints() -> None:
    rec = Recorded([2, 2])
    # An insider holding the key re-links the whole chain with entry 2's actor changed.
    bodies = [{k: e[k] for k in ("case_id", "at", "action", "actor")} for e in rec.entries]
    bodies[1]["actor"] = "someone-else"
    rewritten, head = append(KEYS, bodies, head=ChainHead.start(SCOPE, "C1"))
    assert verify(rewritten, keys=KEYS, scope=SCOPE, chain_id="C1", head=head) is None
    # ... and even publishes a fresh checkpoint of the new head: the old ones still disagree.
    fresh = checkpoint(KEYS, chain=SCOPE, chain_id="C1", head=head, recorded_at=T0)
    broken = check_against_bus(rewritten, head, [*rec.bus, fresh], keys=KEYS)
    assert broken is not None and (broken.index, broken.seq) == (1, 2)
    assert "the bus checkpointed entry 2" in broken.reason
    assert broken.entry is not None and broken.entry["actor"] == "someone-else"


def test_a_checkpoint_forged_without_the_key_is_reported() -> None:
    rec = Recorded([2])
    forged = checkpoint(
        AuditKeys.from_setting(DEV_AUDIT_KEY),
        chain=SCOPE,
        chain_id="C1",
        head=rec.head,
        recorded_at=T0,
    )
    broken = check_against_bus(rec.entries, rec.head, [forged], keys=KEYS)
    assert broken is not None and "bad signature" in broken.reason


def test_a_head_the_bus_has_not_seen_is_reported() -> None:
    rec = Recorded([2, 1])
    broken = check_against_bus(rec.entries, rec.head, rec.bus[:1], keys=KEYS)
    assert broken is not None and broken.seq == 3 and "not yet relayed" in broken.reason
    broken = check_against_bus(rec.entries, rec.head, [], keys=KEYS)
    assert broken is not None and broken.seq == 1
