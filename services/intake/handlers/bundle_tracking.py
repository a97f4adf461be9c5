"""The applicant tracks a bundle as one thing (GET /v1/bundles/{id}): opened by the bundle's
verification code (the same code opens each of its cases) or the applicant's own token, the
agent's who submitted it, or an officer's. Wrong codes are counted per bundle id and pause by
the same rule as a case's (``verify_code`` in services/intake/handlers/access.py)."""

from __future__ import annotations

from typing import Any

from services.intake.domain import NotFound
from services.intake.domain.bundle_case import BundleApplication
from services.intake.domain.bundle_view import bundle_view
from services.intake.handlers.access import token_opens, verify_code
from services.intake.handlers.deps import Deps
from shared.auth import Principal


async def track_bundle(
    deps: Deps, bundle_id: str, *, code: str | None, principal: Principal | None
) -> dict[str, Any]:
    app = await open_bundle(deps, bundle_id, code=code, principal=principal)
    cases = {cid: await deps.store.get_case(cid) for cid in app.case_ids}
    return bundle_view(app, {k: v for k, v in cases.items() if v is not None}, now=deps.clock.now())


async def open_bundle(
    deps: Deps, bundle_id: str, *, code: str | None, principal: Principal | None
) -> BundleApplication:
    app = await deps.bundles.get_application(bundle_id) if len(bundle_id) <= 40 else None
    if app is not None and token_opens(
        principal, applicant=app.applicant, submitted_by=app.submitted_by, officers=True
    ):
        return app
    not_found = NotFound(f"no bundle {bundle_id} with this verification code")
    if not code or len(bundle_id) > 40:
        raise not_found
    return await verify_code(deps, bundle_id, code, app, refusal=not_found)
