"""`egov archive verify CASE_NO`: every hash of a sealed dossier recomputed against the object
store (the manifest against the case's record, each material and issued document against the
manifest) and the manifest's timeline against the keyed audit chain and the stored timeline.
The first mismatch is the answer; none means the dossier is as sealed."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from services.approval.domain import NotFound
from services.approval.handlers.deps import Deps
from services.approval.handlers.transitions import AUDIT_CHAIN
from shared.audit import ChainHead, verify
from shared.objectstore import ObjectMissing


@dataclass(frozen=True)
class ArchiveCheck:
    case_id: str
    objects: int  # objects whose hash was recomputed
    entries: int  # timeline entries checked
    problem: str | None

    @property
    def ok(self) -> bool:
        return self.problem is None


async def _digest(deps: Deps, key: str) -> tuple[str | None, bytes]:
    """The object's sha256 and (for the manifest) its bytes; None if it is missing."""
    hasher, chunks = hashlib.sha256(), []
    try:
        async for chunk in deps.objects.read(key):
            hasher.update(chunk)
            chunks.append(chunk)
    except ObjectMissing:
        return None, b""
    return hasher.hexdigest(), b"".join(chunks)


def _mismatch(what: str, key: str, found: str | None, sealed: str) -> str | None:
    if found is None:
        return f"{what} ({key}): missing from the object store"
    if found != sealed:
        return f"{what} ({key}): sha256 {found} differs from the sealed {sealed}"
    return None


async def verify_archive(deps: Deps, case_id: str) -> ArchiveCheck:
    case = await deps.store.get(case_id)
    if case is None:
        raise NotFound(f"no case {case_id}")
    archive = case.archive
    if archive is None:
        return ArchiveCheck(case_id, 0, 0, f"the dossier of case {case_id} is not sealed")
    if archive.purged_at is not None:
        deleted = f"the dossier of case {case_id} was deleted on {archive.purged_at.isoformat()}"
        return ArchiveCheck(case_id, 0, 0, deleted)
    found, data = await _digest(deps, archive.key)
    problem = _mismatch("manifest", archive.key, found, archive.sha256)
    if problem is not None:
        return ArchiveCheck(case_id, 1, 0, problem)
    doc: dict[str, Any] = json.loads(data)
    listed = [(f"material {m['code']}", m["key"], m["sha256"]) for m in doc["materials"]]
    listed += [(f"document {d['name']}", d["key"], d["sha256"]) for d in doc["documents"]]
    checked = 1
    for what, key, sealed in listed:
        if key is None or sealed is None:
            continue  # a licence reference or a commitment: nothing stored to hash
        checked += 1
        problem = _mismatch(what, key, (await _digest(deps, key))[0], sealed)
        if problem is not None:
            return ArchiveCheck(case_id, checked, 0, problem)
    problem, entries = await _timeline_problem(deps, case_id, doc)
    return ArchiveCheck(case_id, checked, entries, problem)


async def _timeline_problem(
    deps: Deps, case_id: str, doc: dict[str, Any]
) -> tuple[str | None, int]:
    sealed = doc["timeline"]
    head = ChainHead(count=doc["audit"]["count"], hash=doc["audit"]["head"])
    broken = verify(sealed, keys=deps.audit_keys, scope=AUDIT_CHAIN, chain_id=case_id, head=head)
    if broken is not None:
        return f"timeline in the manifest: {broken.describe()}", len(sealed)
    stored = await deps.store.timeline(case_id)
    for entry in sealed:
        seq = entry["seq"]
        now = stored[seq - 1] if seq <= len(stored) else None
        if now is None or now.get("hash") != entry["hash"]:
            return f"timeline entry {seq}: the stored one differs from the sealed one", len(sealed)
    return None, len(sealed)
