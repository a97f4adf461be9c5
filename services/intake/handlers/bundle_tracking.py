"""The applicant tracks a bundle as one thing (GET /v1/bundles/{id}): opened by the bundle's
verification code (the same code opens each of its cases) or the applicant's own token, the
agent's who submitted it, or an officer's. Wrong codes are counted per bundle id and pause like
a case's (services/intake/handlers/access.py)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from services.intake.domain import NotFound, TooManyAttempts
from services.intake.domain.bundle_case import BundleApplication
from services.intake.domain.bundle_view import bundle_view
from services.intake.domain.submission import hash_verification_code
from services.intake.domain.verification import code_locked_until, retry_after_seconds
from services.intake.handlers.access import IN_FLIGHT_MARGIN
from services.intake.handlers.deps import Deps
from services.intake.metrics import CODE_ATTEMPTS
from shared.auth import Principal
from shared.contracts import SubmitterKind
from shared.roles import OFFICERS_AND_ADMIN


async def track_bundle(
    deps: Deps, bundle_id: str, *, code: str | None, principal: Principal | None
) -> dict[str, Any]:
    app = await open_bundle(deps, bundle_id, code=code, principal=principal)
    cases = {cid: await deps.store.get_case(cid) for cid in app.case_ids}
    return bundle_view(app, {k: v for k, v in cases.items() if v is not None}, now=deps.clock.now())


def _token_opens(app: BundleApplication, principal: Principal | None) -> bool:
    if principal is None:
        return False
    real = principal.real_name
    if real is not None and real.id_number == app.applicant.id_number:
        return True
    by = app.submitted_by
    if by is not None and by.kind is SubmitterKind.AGENT and by.subject == principal.subject:
        return True
    return principal.has_any(*OFFICERS_AND_ADMIN)


async def open_bundle(
    deps: Deps, bundle_id: str, *, code: str | None, principal: Principal | None
) -> BundleApplication:
    app = await deps.bundles.get_application(bundle_id) if len(bundle_id) <= 40 else None
    if app is not None and _token_opens(app, principal):
        return app
    not_found = NotFound(f"no bundle {bundle_id} with this verification code")
    if not code or len(bundle_id) > 40:
        raise not_found
    settings = deps.settings
    now = deps.clock.now()
    window = timedelta(seconds=settings.code_failure_window_s)
    attempt_id = uuid.uuid4().hex
    earlier = await deps.store.add_code_attempt(
        bundle_id,
        attempt_id=attempt_id,
        at=now,
        keep=settings.code_max_failures + IN_FLIGHT_MARGIN,
        forget_at=now + window,
    )
    until = code_locked_until(
        earlier, now=now, max_failures=settings.code_max_failures, window=window
    )
    if until is not None:
        await deps.store.drop_code_attempt(bundle_id, attempt_id)
        CODE_ATTEMPTS.labels("paused").inc()
        retry_after = retry_after_seconds(until, now)
        raise TooManyAttempts(
            f"too many wrong verification codes for {bundle_id}; try again in {retry_after} "
            "seconds, or sign in",
            retry_after_s=retry_after,
        )
    if app is not None and app.verification_hash == hash_verification_code(bundle_id, code):
        await deps.store.drop_code_attempt(bundle_id, attempt_id)
        CODE_ATTEMPTS.labels("accepted").inc()
        return app
    CODE_ATTEMPTS.labels("wrong").inc()
    raise not_found
