"""The case timeline as a hash chain: each entry holds the SHA-256 of its own canonical JSON
(which includes the previous entry's hash), so altering, removing or reordering any stored
entry breaks every link after it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict

GENESIS = ""


def canonical_json(value: Mapping[str, Any]) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(body: Mapping[str, Any]) -> str:
    """SHA-256 of an entry without its own ``hash`` field."""
    content = {k: v for k, v in body.items() if k not in ("hash", "_id")}
    return hashlib.sha256(canonical_json(content).encode("utf-8")).hexdigest()


class AuditRecord(BaseModel):
    """One action as the rules describe it, before it is chained."""

    model_config = ConfigDict(frozen=True)

    action: str
    actor: str
    stage_id: str | None = None
    detail: dict[str, Any] = {}


def chain(
    case_id: str, records: Iterable[AuditRecord], *, at: str, seq: int, head: str
) -> tuple[list[dict[str, Any]], int, str]:
    """Turn records into chained entries after ``seq``/``head``; returns entries, seq, head."""
    entries: list[dict[str, Any]] = []
    for record in records:
        seq += 1
        body: dict[str, Any] = {
            "case_id": case_id,
            "seq": seq,
            "at": at,
            "action": record.action,
            "actor": record.actor,
            "stage_id": record.stage_id,
            "detail": record.detail,
            "prev_hash": head,
        }
        head = entry_hash(body)
        body["hash"] = head
        entries.append(body)
    return entries, seq, head


class BrokenLink(BaseModel):
    model_config = ConfigDict(frozen=True)

    seq: int
    problem: str


def verify_chain(entries: Iterable[Mapping[str, Any]]) -> BrokenLink | None:
    """The first entry (in ``seq`` order) whose content or link does not check out."""
    previous = GENESIS
    expected_seq = 1
    for entry in entries:
        seq = int(entry.get("seq", -1))
        if seq != expected_seq:
            return BrokenLink(seq=expected_seq, problem=f"entry {expected_seq} is missing")
        if entry.get("prev_hash") != previous:
            return BrokenLink(seq=seq, problem="prev_hash does not match the previous entry")
        if entry_hash(entry) != entry.get("hash"):
            return BrokenLink(seq=seq, problem="content does not match its hash (altered)")
        previous = str(entry["hash"])
        expected_seq += 1
    return None
