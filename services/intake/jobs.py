"""Periodic loops of the intake service, each calling a handler (shared.jobs)."""

from __future__ import annotations

from services.intake.handlers import Deps
from services.intake.handlers.bundle_rating import invite_finished_bundles
from services.intake.handlers.licences import issue_owed_licence_documents
from services.intake.handlers.ratings import invite_unrated_cases
from services.intake.handlers.uploads import expire_uploads
from shared.jobs import every


async def invite_ratings(deps: Deps) -> None:
    """Decided cases and finished bundles not yet rated are invited to rate (好差评), every
    interval: a bundle once as one thing, never its items one by one."""
    await every(
        deps.settings.rating_invite_interval_s,
        lambda: invite_unrated(deps),
        what="rating invitation sweep",
    )


async def invite_unrated(deps: Deps) -> int:
    """One round of the invitation sweep: the cases, then the bundles."""
    return await invite_unrated_cases(deps) + await invite_finished_bundles(deps)


async def expire_unclaimed_uploads(deps: Deps) -> None:
    """Uploads no submission referred to in time are deleted, every interval."""
    await every(
        deps.settings.upload_expiry_interval_s,
        lambda: expire_uploads(deps),
        what="upload expiry sweep",
    )


async def store_owed_licence_documents(deps: Deps) -> None:
    """E-licence PDFs the object store did not take at the decision are stored, every interval."""
    await every(
        deps.settings.licence_document_interval_s,
        lambda: issue_owed_licence_documents(deps),
        what="licence document sweep",
    )
