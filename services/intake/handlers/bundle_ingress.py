"""A bundle (一件事) applied for by another system on its ingress topic
(``gov.egov.intake.bundle_submission.v1``), the bus twin of ``POST /v1/bundles``: the same
checks and the same writes (handlers/bundle_submission.py), known by the authenticated
publisher and its own id (a republished submission registers nothing new), refused to the
dead-letter topic with its reason when invalid. As an external case, it has no verification
code: the applicant follows it with their own token."""

from __future__ import annotations

import logging

from pydantic import ValidationError

from services.intake.domain.bundle_submission import BundleSubmissionIn
from services.intake.handlers.bundle_submission import register_bundle
from services.intake.handlers.deps import Deps
from services.intake.metrics import BUNDLES
from shared.contracts import BundleSubmissionReceived, Envelope, SubmittedBy, SubmitterKind
from shared.contracts.publishers import originating_system
from shared.errors import DuplicateKey, Refusal
from shared.kafka import PermanentError

log = logging.getLogger(__name__)


async def on_bundle_submission_received(
    deps: Deps, envelope: Envelope, data: BundleSubmissionReceived
) -> None:
    system = originating_system(envelope.source, data.source_system)
    ref = f"{system}/{data.external_id}"
    existing = await deps.store.find_external(system, data.external_id)
    if existing is not None:
        BUNDLES.labels(data.bundle_code, "duplicate").inc()
        log.info("bundle submission %s already registered as %s", ref, existing)
        return
    body = _body(data)
    by = SubmittedBy(kind=SubmitterKind.SYSTEM, subject=system)
    try:
        await register_bundle(
            deps,
            body,
            by=by,
            external=(system, data.external_id),
            submitted_at=data.submitted_at,
        )
    except DuplicateKey:
        log.info("bundle submission %s registered concurrently", ref)
    except Refusal as exc:
        raise PermanentError(f"bundle submission refused ({exc.status_code}): {exc}") from exc


def _body(data: BundleSubmissionReceived) -> BundleSubmissionIn:
    """The submission as ``POST /v1/bundles`` takes it (its applicant and contact checked at the
    door as there); what the contract lets through unchecked is refused naming the field."""
    flags = {"phone_verified", "email_verified"}
    try:
        return BundleSubmissionIn.model_validate(
            {
                "bundle_code": data.bundle_code,
                "applicant": data.applicant.model_dump(mode="json"),
                "contact": data.contact.model_dump(mode="json", exclude=flags),
                "form": data.form,
                "materials": [m.model_dump(mode="json") for m in data.materials],
                "channel": data.channel,
                "receiving_region": data.receiving_region,
                "accept_with_gaps": data.accept_with_gaps,
            }
        )
    except ValidationError as exc:
        fields = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise PermanentError(f"bundle submission refused (422): {fields}") from exc
