"""Registering cases: HTTP submissions (with Idempotency-Key) and submissions other systems
publish on egov.intake.submissions."""

from __future__ import annotations

import logging
import secrets
from datetime import datetime
from typing import Any

from services.intake.domain import (
    Assessment,
    FieldError,
    Invalid,
    NotFound,
    ServiceItem,
    Submission,
    SubmissionIn,
    assess_submission,
    credit_refusal,
    format_case_number,
)
from services.intake.domain.identity import verified_contact
from services.intake.domain.owed import owed_at_acceptance
from services.intake.domain.submission import (
    check_item_open,
    checked_contact,
    idempotency_scope,
)
from services.intake.handlers.access import submitted_by
from services.intake.handlers.audit import linked
from services.intake.handlers.case_records import (
    case_record,
    case_submitted,
    receipt,
    submitter_actor,
)
from services.intake.handlers.deps import SOURCE, Deps
from services.intake.handlers.eligibility import (
    check_credit,
    filled_from_licences,
    licence_errors,
)
from services.intake.handlers.materials import (
    claim_uploads,
    release_uploads,
    resolve_uploads,
    upload_ids,
)
from services.intake.metrics import IDEMPOTENT_REPLAYS, SUBMISSIONS
from services.intake.ports import IdempotencyRecord
from shared.auth import Principal
from shared.clock import SHANGHAI
from shared.contracts import (
    CaseSubmissionReceived,
    CreditCheck,
    Envelope,
    SubmittedBy,
    SubmitterKind,
    derived_event_id,
    make_envelope,
)
from shared.contracts.publishers import originating_system
from shared.errors import DuplicateKey, Refusal
from shared.kafka import PermanentError

log = logging.getLogger(__name__)

# Bundles build their cases the same way (handlers/bundle_submission.py imports them here).
__all__ = [
    "case_record",
    "case_submitted",
    "new_verification_code",
    "on_submission_received",
    "register_case",
    "submit_case",
    "submitter_actor",
]

# No 0/O, 1/I/L: read aloud or typed from a receipt without confusion.
_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_verification_code() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(8))


async def submit_case(
    deps: Deps, body: SubmissionIn, *, principal: Principal | None, idempotency_key: str | None
) -> tuple[dict[str, Any], bool]:
    """``POST /v1/cases``. Returns (response, replayed). Who may submit is settled first, so a
    replay answers only those who could have made the request."""
    applicant = body.applicant.to_applicant()
    by = await submitted_by(
        deps,
        principal,
        applicant=applicant,
        channel=body.channel,
        receiving_region=body.receiving_region,
        item_code=body.item_code,
    )
    fingerprint = body.fingerprint()
    channel = body.channel.value
    scoped_key = (
        idempotency_scope(idempotency_key, body.applicant.id_number) if idempotency_key else None
    )
    if scoped_key:
        record = await deps.store.find_idempotency(scoped_key)
        if record is not None:
            return _replay(record, fingerprint, channel), True
    sub = Submission(
        item_code=body.item_code,
        applicant=applicant,
        contact=body.contact.to_contact(),
        form=body.form,
        materials=body.materials,
        channel=body.channel,
        receiving_region=body.receiving_region,
        handling_region=body.handling_region,
        accept_with_gaps=body.accept_with_gaps,
        submitted_by=by,
    )
    try:
        response = await register_case(
            deps, sub, principal=principal, idempotency_key=scoped_key, fingerprint=fingerprint
        )
    except DuplicateKey:
        # A concurrent request with the same key won the race.
        record = await deps.store.find_idempotency(scoped_key or "")
        if record is None:
            raise
        return _replay(record, fingerprint, channel), True
    return response, False


def _replay(record: IdempotencyRecord, fingerprint: str, channel: str) -> dict[str, Any]:
    if record.fingerprint != fingerprint:
        # Never name the case it was used for: the body, not the key, proves who is asking.
        raise Invalid(
            "this Idempotency-Key was already used for a different request body; use a new key "
            "for a new application",
            [FieldError("Idempotency-Key", "already used for a different request body")],
        )
    IDEMPOTENT_REPLAYS.labels(channel).inc()
    SUBMISSIONS.labels(record.response.get("item_code", "unknown"), channel, "replayed").inc()
    return record.response


async def on_submission_received(
    deps: Deps, envelope: Envelope, data: CaseSubmissionReceived
) -> None:
    """An external system's submission: register it or dead-letter it with the reason. It is
    known by its authenticated publisher and its own id, so a publisher cannot shadow another's
    submissions by claiming its name."""
    system = originating_system(envelope.source, data.source_system)
    data = data.model_copy(update={"source_system": system})
    existing = await deps.store.find_external(data.source_system, data.external_id)
    if existing is not None:
        SUBMISSIONS.labels(
            data.item_code if await _known(deps, data.item_code) else "unknown",
            data.channel.value,
            "duplicate",
        ).inc()
        log.info(
            "submission %s/%s already registered as %s",
            data.source_system,
            data.external_id,
            existing,
        )
        return
    sub = Submission(
        item_code=data.item_code,
        applicant=data.applicant,
        contact=data.contact,
        form=data.form,
        materials=data.materials,
        channel=data.channel,
        receiving_region=data.receiving_region,
        handling_region=data.handling_region,
        source_system=data.source_system,
        external_id=data.external_id,
        submitted_by=SubmittedBy(kind=SubmitterKind.SYSTEM, subject=data.source_system),
    )
    try:
        await register_case(deps, sub, causation=envelope, submitted_at=data.submitted_at)
    except DuplicateKey:
        log.info("submission %s/%s registered concurrently", data.source_system, data.external_id)
    except Refusal as exc:
        raise PermanentError(f"submission refused ({exc.status_code}): {exc}") from exc


async def _known(deps: Deps, code: str) -> bool:
    return await deps.store.get_item(code) is not None


async def register_case(
    deps: Deps,
    sub: Submission,
    *,
    principal: Principal | None = None,
    idempotency_key: str | None = None,
    fingerprint: str | None = None,
    causation: Envelope | None = None,
    submitted_at: datetime | None = None,
) -> dict[str, Any]:
    item = await _open_item(deps, sub)
    sub, assessment, credit = await _checked(deps, sub, item, principal)
    now = deps.clock.now()
    seq = await deps.store.next_sequence(sub.receiving_region, now.astimezone(SHANGHAI).date())
    case_id = format_case_number(sub.receiving_region, now.astimezone(SHANGHAI).date(), seq)
    code = new_verification_code() if sub.source_system is None else None
    # 容缺受理: the deadline counts from acceptance, now
    owed = owed_at_acceptance(item, assessment, accepted_at=now, calendar=deps.calendar)
    case = case_record(item, sub, assessment, credit, case_id, submitted_at or now, code, owed=owed)
    envelope = make_envelope(
        case_submitted(item, case),
        source=SOURCE,
        time=now,
        causation=causation,
        id=derived_event_id("case.submitted", case_id),
    )
    response = receipt(item, case, assessment, credit, code)
    record = None
    if idempotency_key:
        record = IdempotencyRecord(
            key=idempotency_key, fingerprint=fingerprint or "", case_id=case_id, response=response
        )
    case, checkpoints = linked(deps, case, actor=submitter_actor(case), causation=causation)
    await claim_uploads(deps, sub, case_id)
    try:
        await deps.store.create_case(case, [envelope, *checkpoints], idempotency=record)
    except BaseException:
        await release_uploads(deps, upload_ids(sub.materials), case_id)
        raise
    deps.wake()
    SUBMISSIONS.labels(item.code, sub.channel.value, "accepted").inc()
    log.info("case %s registered for item %s via %s", case_id, item.code, sub.channel.value)
    return response


async def _open_item(deps: Deps, sub: Submission) -> ServiceItem:
    """The catalog item applied for, if it exists and takes applications."""
    channel = sub.channel.value
    item = await deps.store.get_item(sub.item_code)
    if item is None:
        SUBMISSIONS.labels("unknown", channel, "unknown_item").inc()
        raise NotFound(
            f"unknown item {sub.item_code!r}",
            [FieldError("item_code", "not in the service catalog")],
        )
    try:
        check_item_open(item)
    except Refusal:
        SUBMISSIONS.labels(item.code, channel, "closed").inc()
        raise
    return item


async def _checked(
    deps: Deps, sub: Submission, item: ServiceItem, principal: Principal | None
) -> tuple[Submission, Assessment, CreditCheck]:
    """Contacts, uploads, e-licences and the item's rules checked, then the credit check; every
    field error at once (422), or the submission as it will be recorded."""
    contact, errors = checked_contact(sub.contact)
    if sub.submitted_by is not None:
        contact = verified_contact(contact, principal, sub.submitted_by)
    sub = sub.model_copy(update={"contact": contact})
    sub, upload_errors = await resolve_uploads(deps, sub)
    errors += upload_errors
    sub = await filled_from_licences(deps, sub, item)
    assessment, item_errors = assess_submission(
        item,
        sub,
        known_regions=frozenset(deps.regions),
        max_material_bytes=deps.settings.max_material_bytes,
    )
    errors += item_errors
    errors += await licence_errors(deps, sub, item)
    if errors:
        SUBMISSIONS.labels(item.code, sub.channel.value, "invalid").inc()
        raise Invalid("the submission is not valid", errors)
    credit = await check_credit(deps, sub.applicant.id_number, assessment)
    refusal = credit_refusal(assessment, credit, default_allows=deps.settings.credit_default_allows)
    if refusal is not None:
        SUBMISSIONS.labels(item.code, sub.channel.value, "credit_refused").inc()
        field = "materials" if assessment.commitment_used else "accept_with_gaps"
        raise Invalid(refusal, [FieldError(field, refusal)])
    return sub, assessment, credit
