"""Applying for a bundle (一件事一次办): one submission, one Idempotency-Key, one form and each
material once, checked against every item's rules, then one case per item written together
with the bundle in one transaction. Items that wait for others are held in intake (no
case.submitted yet); services/intake/handlers/bundle_release.py releases them."""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from datetime import datetime
from typing import Any

from services.intake.domain import (
    Assessment,
    CaseRecord,
    FieldError,
    Invalid,
    NotFound,
    ServiceItem,
    Submission,
    assess_submission,
    credit_refusal,
    format_case_number,
)
from services.intake.domain import bundle_case as rules
from services.intake.domain.bundle_case import BundleApplication
from services.intake.domain.bundle_submission import (
    BundleSubmissionIn,
    asks_gaps,
    check_offered,
    item_errors,
    new_application,
    receipt,
    without_provided,
)
from services.intake.domain.bundles import Bundle
from services.intake.domain.identity import verified_contact
from services.intake.domain.owed import owed_at_acceptance
from services.intake.domain.submission import (
    check_item_open,
    checked_contact,
    idempotency_scope,
)
from services.intake.handlers.access import submitted_by
from services.intake.handlers.audit import linked
from services.intake.handlers.bundle_events import bundle_clock_opened, submitted_envelope
from services.intake.handlers.deps import Deps
from services.intake.handlers.eligibility import (
    check_credit,
    filled_from_licences,
    licence_errors,
)
from services.intake.handlers.materials import (
    claim_bundle_uploads,
    release_uploads,
    resolve_bundle_uploads,
)
from services.intake.handlers.submission import (
    case_record,
    case_submitted,
    new_verification_code,
    submitter_actor,
)
from services.intake.metrics import BUNDLES
from services.intake.ports import IdempotencyRecord
from shared.auth import Principal
from shared.clock import SHANGHAI
from shared.contracts import CreditCheck, Envelope, Material, SubmittedBy
from shared.errors import DuplicateKey

log = logging.getLogger(__name__)

Checked = list[tuple[ServiceItem, Submission, Assessment]]


async def submit_bundle(
    deps: Deps,
    body: BundleSubmissionIn,
    *,
    principal: Principal | None,
    idempotency_key: str | None,
) -> tuple[dict[str, Any], bool]:
    """``POST /v1/bundles``. Returns (response, replayed), as ``POST /v1/cases`` does."""
    bundle = await deps.bundles.get_bundle(body.bundle_code)
    if bundle is None:
        raise NotFound(
            f"unknown bundle {body.bundle_code!r}",
            [FieldError("bundle_code", "not in the service catalog")],
        )
    check_offered(bundle, channel=body.channel, receiving_region=body.receiving_region)
    applicant = body.applicant.to_applicant()
    by: SubmittedBy | None = None
    for code in bundle.item_codes:  # an agent's grant must cover every item
        by = await submitted_by(
            deps,
            principal,
            applicant=applicant,
            channel=body.channel,
            receiving_region=body.receiving_region,
            item_code=code,
        )
    assert by is not None
    scoped = idempotency_scope(idempotency_key, applicant.id_number) if idempotency_key else None
    fingerprint = body.fingerprint()
    if scoped and (record := await deps.store.find_idempotency(scoped)) is not None:
        return _replay(record, fingerprint), True
    try:
        response = await _counted(
            bundle, _register(deps, bundle, body, by, principal, scoped, fingerprint)
        )
    except DuplicateKey:
        record = await deps.store.find_idempotency(scoped or "")
        if record is None:
            raise
        return _replay(record, fingerprint), True
    return response, False


async def register_bundle(
    deps: Deps,
    body: BundleSubmissionIn,
    *,
    by: SubmittedBy,
    external: tuple[str, str],
    submitted_at: datetime,
) -> dict[str, Any]:
    """Another system's bundle submission (handlers/bundle_ingress.py): the same checks and
    writes as ``POST /v1/bundles``, known by ``external`` (source system, external id) instead
    of an Idempotency-Key (DuplicateKey when it is already registered), and, as an external
    case, no verification code."""
    bundle = await deps.bundles.get_bundle(body.bundle_code)
    if bundle is None:
        raise NotFound(
            f"unknown bundle {body.bundle_code!r}",
            [FieldError("bundle_code", "not in the service catalog")],
        )
    check_offered(bundle, channel=body.channel, receiving_region=body.receiving_region)
    work = _register(deps, bundle, body, by, None, None, "", external, submitted_at)
    return await _counted(bundle, work)


async def _counted(bundle: Bundle, work: Awaitable[dict[str, Any]]) -> dict[str, Any]:
    try:
        response = await work
    except Invalid:
        BUNDLES.labels(bundle.code, "invalid").inc()
        raise
    BUNDLES.labels(bundle.code, "accepted").inc()
    return response


def _replay(record: IdempotencyRecord, fingerprint: str) -> dict[str, Any]:
    if record.fingerprint != fingerprint:
        raise Invalid(
            "this Idempotency-Key was already used for a different request body; use a new key "
            "for a new application",
            [FieldError("Idempotency-Key", "already used for a different request body")],
        )
    BUNDLES.labels(record.response.get("bundle_code", "unknown"), "replayed").inc()
    return record.response


async def _register(
    deps: Deps,
    bundle: Bundle,
    body: BundleSubmissionIn,
    by: SubmittedBy,
    principal: Principal | None,
    idempotency_key: str | None,
    fingerprint: str,
    external: tuple[str, str] | None = None,
    submitted_at: datetime | None = None,
) -> dict[str, Any]:
    checked, credit, uploads = await _checked(deps, bundle, body, by, principal)
    now = submitted_at or deps.clock.now()
    case_ids = await _case_numbers(deps, body.receiving_region, len(checked))
    bundle_id = rules.format_bundle_id(case_ids[0])
    code = new_verification_code()
    names = {item.code: item.name for item, _, _ in checked}
    cases = [
        case_record(
            item,
            sub,
            assessment,
            credit,
            case_id,
            now,
            code,
            owed=owed_at_acceptance(item, assessment, accepted_at=now, calendar=deps.calendar),
        ).model_copy(update={"bundle_id": bundle_id})
        for (item, sub, assessment), case_id in zip(checked, case_ids, strict=True)
    ]
    due_at = deps.calendar.deadline(now, bundle.promised_limit)
    provisional = deps.calendar.is_provisional(bundle.promised_limit, now, due_at)
    app = new_application(
        bundle,
        body,
        by,
        cases,
        names,
        code=code,
        at=now,
        due_at=due_at,
        due_provisional=provisional,
    ).model_copy(update={"due_calendar": deps.calendar.version})
    if external is not None:  # known by its publisher's id; no code: followed by token
        app, cases = _external(app, cases, external)
    cases, events = _held_or_submitted(deps, app, [item for item, _, _ in checked], cases, names)
    events.append(bundle_clock_opened(app))
    response = receipt(app, cases, code)
    record = None
    if idempotency_key:
        record = IdempotencyRecord(
            key=idempotency_key, fingerprint=fingerprint, case_id=bundle_id, response=response
        )
    claimed = await claim_bundle_uploads(
        deps, bundle, uploads, cases, owner_id=body.applicant.id_number
    )
    try:
        await deps.bundles.create_application(
            app, cases, events, idempotency=record, external=external
        )
    except BaseException:
        for case_id, ids in claimed.items():
            await release_uploads(deps, ids, case_id)
        raise
    deps.wake()
    log.info("bundle %s (%s): cases %s", bundle_id, bundle.code, ", ".join(case_ids))
    return response


def _external(
    app: BundleApplication, cases: list[CaseRecord], external: tuple[str, str]
) -> tuple[BundleApplication, list[CaseRecord]]:
    system, external_id = external
    ref = {"source_system": system, "external_id": external_id, "verification_hash": None}
    return (
        app.model_copy(update={"verification_hash": None}),
        [c.model_copy(update=ref) for c in cases],
    )


async def _case_numbers(deps: Deps, region: str, count: int) -> list[str]:
    """One case number per item, in the bundle's order (the bundle is named after the first)."""
    day = deps.clock.now().astimezone(SHANGHAI).date()
    return [
        format_case_number(region, day, await deps.store.next_sequence(region, day))
        for _ in range(count)
    ]


def _held_or_submitted(
    deps: Deps,
    app: BundleApplication,
    items: list[ServiceItem],
    cases: list[CaseRecord],
    names: dict[str, str],
) -> tuple[list[CaseRecord], list[Envelope]]:
    """Each case held (its case.submitted kept for its release) or submitted at once, each
    case.submitted telling of the bundle, with the audit checkpoints."""
    out: list[CaseRecord] = []
    events: list[Envelope] = []
    info = app.info({c.case_id: c.owed for c in cases})
    for item, case in zip(items, cases, strict=True):
        submitted = case_submitted(item, case).model_copy(update={"bundle": info})
        after = next(e.after for e in app.items if e.case_id == case.case_id)
        if after:
            pending = submitted.model_dump(mode="json")
            case = rules.held(case, after, names).model_copy(update={"held_submission": pending})
        else:
            events.append(submitted_envelope(submitted, app.submitted_at))
        case, checkpoints = linked(deps, case, actor=submitter_actor(case))
        out.append(case)
        events += checkpoints
    return out, events


async def _checked(
    deps: Deps,
    bundle: Bundle,
    body: BundleSubmissionIn,
    by: SubmittedBy,
    principal: Principal | None,
) -> tuple[Checked, CreditCheck, list[Material]]:
    """Every item's submission checked by its own rules (every field error at once: 422), and
    one credit check for the applicant."""
    contact, errors = checked_contact(body.contact.to_contact())
    contact = verified_contact(contact, principal, by)
    materials, upload_errors = await resolve_bundle_uploads(
        deps, bundle, body.materials, owner_id=body.applicant.id_number
    )
    errors += upload_errors
    split, split_errors = rules.split_submission(bundle, body.form, materials)
    errors += split_errors
    checked: Checked = []
    for code in bundle.item_codes:
        item = await deps.store.get_item(code)
        if item is None:
            raise NotFound(f"item {code} of bundle {bundle.code} is no longer in the catalog")
        check_item_open(item)
        asked = without_provided(item, bundle)
        form, given = split[code]
        sub = Submission(
            item_code=code,
            applicant=body.applicant.to_applicant(),
            contact=contact,
            form=form,
            materials=given,
            channel=body.channel,
            receiving_region=body.receiving_region,
            handling_region=None,
            submitted_by=by,
        )
        sub = await filled_from_licences(deps, sub, asked)
        gaps = asks_gaps(asked, sub.materials, asked=body.accept_with_gaps)
        sub = sub.model_copy(update={"accept_with_gaps": gaps})
        assessment, found = assess_submission(
            asked,
            sub,
            known_regions=frozenset(deps.regions),
            max_material_bytes=deps.settings.max_material_bytes,
        )
        errors += item_errors(code, found + await licence_errors(deps, sub, asked))
        checked.append((item, sub, assessment))
    if errors:
        raise Invalid("the submission is not valid", errors)
    return checked, await _credit(deps, body, checked), materials


async def _credit(deps: Deps, body: BundleSubmissionIn, checked: Checked) -> CreditCheck:
    """One credit check for the bundle: asked when any item uses a facilitation; an item whose
    facilitation the standing refuses refuses the bundle (422 naming the item)."""
    needing = [a for _, _, a in checked if a.needs_credit_check] or [checked[0][2]]
    credit = await check_credit(deps, body.applicant.id_number, needing[0])
    for item, _, assessment in checked:
        refusal = credit_refusal(
            assessment, credit, default_allows=deps.settings.credit_default_allows
        )
        if refusal is not None:
            field = "materials" if assessment.commitment_used else "accept_with_gaps"
            raise Invalid(refusal, [FieldError(f"items.{item.code}.{field}", refusal)])
    return credit
