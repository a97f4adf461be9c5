"""Keyed audit chains (shared/audit): what an insider with write access to the database, but not
the audit key, can no longer do unnoticed; and the report that names the first broken link."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from pydantic import ValidationError

from shared.audit import DEV_AUDIT_KEY, AuditKeys, ChainHead, append, genesis, key_id, verify
from shared.audit.chain import canonical_json
from shared.settings import ServiceSettings
from tests.support.production import PRODUCTION

KEY = "the-deployments-audit-key-32-characters-or-more"
KEYS = AuditKeys.from_setting(KEY)
SCOPE = "approval.case"


def bodies(n: int, case_id: str = "C1") -> list[dict[str, Any]]:
    return [
        {
            "case_id": case_id,
            "at": "2026-03-02T02:00:00+00:00",
            "action": f"a{i}",
            "actor": "h-1",
            "stage_id": None,
            "detail": {"n": i, "text": "预审"},
        }
        for i in range(n)
    ]


def chained(
    n: int, case_id: str = "C1", keys: AuditKeys = KEYS
) -> tuple[list[dict[str, Any]], ChainHead]:
    return append(keys, bodies(n, case_id), head=ChainHead.start(SCOPE, case_id))


def check(entries: list[dict[str, Any]], head: ChainHead | None, keys: AuditKeys = KEYS) -> Any:
    return verify(entries, keys=keys, scope=SCOPE, chain_id="C1", head=head)


def test_a_chain_written_in_steps_verifies_up_to_its_head() -> None:
    first, head = chained(2)
    more, head = append(KEYS, bodies(1), head=head)
    entries = first + more
    assert [e["seq"] for e in entries] == [1, 2, 3]
    assert entries[0]["prev_hash"] == genesis(SCOPE, "C1")
    assert entries[2]["prev_hash"] == entries[1]["hash"] and head.hash == entries[2]["hash"]
    assert {e["key_id"] for e in entries} == {key_id(KEY)}
    assert check(entries, head) is None


def test_a_tampered_middle_entry_is_reported_at_that_entry_with_its_content() -> None:
    entries, head = chained(5)
    entries[2]["actor"] = "someone-else"
    broken = check(entries, head)
    assert broken is not None
    assert (broken.index, broken.seq) == (2, 3) and "altered" in broken.reason
    assert broken.entry is not None and broken.entry["actor"] == "someone-else"
    assert broken.describe().startswith("entry 3 (index 2): content does not match")


def test_dropping_the_last_entries_fails_against_the_stored_head() -> None:
    entries, head = chained(5)
    assert check(entries[:3], None) is None  # the links alone cannot tell: the head can
    broken = check(entries[:3], head)
    assert broken is not None and (broken.index, broken.seq, broken.entry) == (3, 4, None)
    assert "the last 2 entries were removed" in broken.reason


def test_entries_appended_after_the_head_or_a_different_last_entry_fail() -> None:
    entries, head = chained(3)
    more, _ = append(KEYS, bodies(1), head=head)
    broken = check(entries + more, head)
    assert broken is not None and broken.seq == 4 and "after the stored head" in broken.reason
    broken = check(entries, ChainHead(count=3, hash="0" * 64))
    assert broken is not None and broken.seq == 3 and "not the stored head" in broken.reason


def _unkeyed(n: int, key_id: str | None = None) -> tuple[list[dict[str, Any]], ChainHead]:
    """What anyone with database access could compute before: SHA-256 from an empty start
    (naming the deployment's key id, if asked, to pass for a keyed chain)."""
    entries, prev = [], ""
    for seq, body in enumerate(bodies(n), 1):
        entry = {**body, "seq": seq, "prev_hash": prev}
        if key_id is not None:
            entry |= {"key_id": key_id, "prev_hash": prev or genesis(SCOPE, "C1")}
        prev = entry["hash"] = hashlib.sha256(canonical_json(entry).encode()).hexdigest()
        entries.append(entry)
    return entries, ChainHead(count=n, hash=prev)


def test_a_chain_rewritten_with_the_unkeyed_hash_is_refused_from_its_first_entry() -> None:
    entries, head = _unkeyed(4)  # entries and head rewritten together, consistently
    broken = check(entries, head)
    assert broken is not None and (broken.index, broken.seq) == (0, 1)
    assert "unkeyed" in broken.reason
    # Even naming the deployment's key id and starting from the genesis: the hash is not keyed.
    entries, head = _unkeyed(4, key_id=KEYS.signing_id)
    broken = check(entries, head)
    assert broken is not None and broken.seq == 1 and "keyed hash" in broken.reason


def test_a_chain_rewritten_under_another_key_is_refused() -> None:
    published = AuditKeys.from_setting(DEV_AUDIT_KEY)  # the key an insider can read in the code
    entries, head = chained(3, keys=published)
    broken = check(entries, head)
    assert broken is not None and broken.seq == 1 and "does not hold" in broken.reason
    # ... and a forged entry filed under the deployment's key id fails its keyed hash.
    entries, head = chained(3)
    forged = {k: v for k, v in entries[1].items() if k != "hash"} | {"actor": "x"}
    forged["hash"] = hashlib.sha256(canonical_json(forged).encode()).hexdigest()
    broken = check([entries[0], forged, entries[2]], head)
    assert broken is not None and broken.seq == 2 and "keyed hash" in broken.reason


def test_a_removed_or_reordered_middle_entry_is_reported() -> None:
    entries, head = chained(4)
    broken = check([entries[0], entries[2], entries[3]], head)
    assert broken is not None and (broken.index, broken.seq) == (1, 2)
    assert "entry 2 is missing" in broken.reason
    swapped = [entries[0], entries[2], entries[1], entries[3]]
    for i, e in enumerate(swapped, 1):
        swapped[i - 1] = {**e, "seq": i}
    broken = check(swapped, head)
    assert broken is not None and broken.seq == 2


def test_the_genesis_binds_a_chain_to_its_case() -> None:
    entries, head = chained(2, case_id="C2")
    for e in entries:
        e["case_id"] = "C1"  # moved under another case: the first link points elsewhere
    broken = check(entries, head)
    assert broken is not None and broken.seq == 1 and "genesis" in broken.reason


def test_a_stored_and_reloaded_chain_still_verifies() -> None:
    entries, head = chained(3)
    reloaded = [json.loads(json.dumps({**e, "_id": f"C1:{e['seq']:08d}"})) for e in entries]
    assert check(reloaded, head) is None


def test_rotation_new_links_use_the_first_key_old_ones_still_verify() -> None:
    old_entries, head = chained(2)
    rotated = AuditKeys.from_setting(f"a-new-audit-key-also-32-characters-long,{KEY}")
    new_entries, head = append(rotated, bodies(1), head=head)
    assert new_entries[0]["key_id"] != old_entries[0]["key_id"]
    assert check(old_entries + new_entries, head, keys=rotated) is None
    broken = check(old_entries + new_entries, head, keys=KEYS)  # the old key alone
    assert broken is not None and broken.seq == 3 and "does not hold" in broken.reason


def test_a_body_may_not_set_the_chain_fields() -> None:
    with pytest.raises(ValueError, match="hash"):
        append(KEYS, [{"action": "x", "hash": "0"}], head=ChainHead.start(SCOPE, "C1"))


@pytest.mark.parametrize(
    "audit_key", [None, DEV_AUDIT_KEY, "short", f"{'k' * 40} {DEV_AUDIT_KEY}", f"{'k' * 40},short"]
)
def test_production_refuses_a_published_or_short_audit_key(
    audit_key: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("EGOV_AUDIT_KEY", raising=False)
    values = {k: v for k, v in PRODUCTION.items() if k != "audit_key"}
    extra = {} if audit_key is None else {"audit_key": audit_key}
    with pytest.raises(ValidationError, match="EGOV_AUDIT_KEY") as refused:
        ServiceSettings(**values, **extra)
    assert str(refused.value).count("EGOV_") == 1, "only the audit key is named"


def test_production_starts_with_audit_keys_of_its_own() -> None:
    setting = f"{'n' * 40} {'o' * 40}"
    settings = ServiceSettings(**PRODUCTION | {"audit_key": setting})
    keys = AuditKeys.from_setting(settings.audit_key.get_secret_value())
    assert keys.signing_id == key_id("n" * 40) and set(keys.keys) == {
        key_id("n" * 40),
        key_id("o" * 40),
    }
    assert "n" * 40 not in repr(settings)
