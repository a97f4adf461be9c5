"""The sealed archive (docs/archive.md): a finished case's dossier manifest is stored as one
JSON object and its hash recorded on the case, the timeline and the bus; an expired dossier
without a legal hold is deleted by the retention sweep; holds are put and lifted on the record.
One case that fails is logged and retried at the next run."""

from __future__ import annotations

import hashlib
import logging

from services.approval.domain import Case, NotFound, StaleVersion, Transition
from services.approval.domain import archive as rules
from services.approval.domain.model import IssuedDocument
from services.approval.handlers.deps import Deps
from services.approval.handlers.transitions import audited, count_events
from shared import jobs
from shared.contracts import DocumentRef, Envelope, LicenceIssued
from shared.objectstore import manifest_key

log = logging.getLogger(__name__)

ATTEMPTS = 3  # an officer's fetch or a concurrent sweep moved the chain: read the case again


async def _write(deps: Deps, tr: Transition, before: Case, causation: Envelope | None) -> None:
    entries, envelopes = audited(deps, tr, before, causation)
    await deps.store.update(tr.case, before.version, entries, envelopes)
    count_events(tr)
    deps.wake()


async def seal_case(deps: Deps, case_id: str) -> bool:
    """Seal the case's dossier if it is finished and not sealed yet; True when sealed now."""
    for attempt in range(1, ATTEMPTS + 1):
        case = await deps.store.get(case_id)
        if case is None or not rules.ready_to_seal(case):
            return False
        now = deps.clock.now()
        doc = rules.manifest(case, await deps.store.timeline(case_id), sealed_at=now)
        data = rules.manifest_bytes(doc)
        ref = DocumentRef(
            key=manifest_key(case_id), sha256=hashlib.sha256(data).hexdigest(), size=len(data)
        )
        await deps.objects.put(ref.key, data, content_type="application/json")
        tr = rules.seal(case, ref, sealed_at=now, calendar=deps.calendar)
        try:
            await _write(deps, tr, case, None)
        except StaleVersion:
            if attempt == ATTEMPTS:
                raise
            continue
        log.info("case %s sealed: manifest %s", case_id, ref.sha256)
        return True
    return False


async def seal_finished(deps: Deps) -> int:
    """Every finished case not sealed yet (the fast path after an action may have failed)."""
    return await jobs.each(
        await deps.store.cases_to_seal(),
        lambda case_id: seal_case(deps, case_id),
        what="sealing the dossier",
    )


async def seal_if_finished(deps: Deps, case: Case) -> None:
    """After an action: seal at once when it finished the case; the sweep retries a failure."""
    if not rules.ready_to_seal(case):
        return
    try:
        await seal_case(deps, case.case_id)
    except Exception as exc:  # noqa: BLE001 - the action is done; the archive sweep seals it
        log.warning("case %s: sealing left to the sweep: %s", case.case_id, exc)


async def purge_expired(deps: Deps) -> int:
    """Delete the objects of every dossier past its retention and not on legal hold."""
    return await jobs.each(
        await deps.store.archives_expired(deps.clock.now()),
        lambda case_id: _purge_case(deps, case_id),
        what="deleting the expired dossier",
    )


async def _purge_case(deps: Deps, case_id: str) -> bool:
    case = await deps.store.get(case_id)
    now = deps.clock.now()
    if case is None or not rules.expired(case, now):
        return False  # a hold was put meanwhile, or another replica deleted it
    tr, keys = rules.purge(case, now=now, calendar=deps.calendar)
    for key in keys:
        await deps.objects.delete(key)
    await _write(deps, tr, case, None)
    log.info("case %s: expired dossier deleted (%d objects)", case_id, len(keys))
    return True


async def legal_hold(deps: Deps, case_id: str, *, reason: str | None, actor: str) -> Case:
    """Put (``reason``) or lift (None) a legal hold, on the case's audit-chained timeline."""
    for attempt in range(1, ATTEMPTS + 1):
        case = await deps.store.get(case_id)
        if case is None:
            raise NotFound(f"no case {case_id}")
        tr = rules.set_legal_hold(
            case, reason=reason, actor=actor, now=deps.clock.now(), calendar=deps.calendar
        )
        try:
            await _write(deps, tr, case, None)
        except StaleVersion:
            if attempt == ATTEMPTS:
                raise
            continue
        return tr.case
    raise AssertionError("unreachable")


async def on_licence_issued(deps: Deps, envelope: Envelope, data: LicenceIssued) -> None:
    """Intake issued the case's e-licence: its PDF joins the case's documents, then the case is
    sealed if that was all it waited for."""
    case = await deps.store.get(data.case_id)
    if case is None or data.document is None:
        return  # another region's case, or a licence issued before documents existed
    doc = data.document
    issued = IssuedDocument(
        name=f"licence-{data.licence_ref}",
        key=doc.key,
        sha256=doc.sha256,
        size=doc.size,
        issued_at=data.issued_at,
    )
    tr = rules.record_document(case, issued, now=deps.clock.now(), calendar=deps.calendar)
    if tr is not None:
        await _write(deps, tr, case, envelope)
        case = tr.case
    await seal_if_finished(deps, case)
