"""Periodic loops of the intake service, each calling a handler; one failed round is logged and
retried at the next."""

from __future__ import annotations

import asyncio
import logging

from services.intake.handlers import Deps
from services.intake.handlers.ratings import invite_unrated_cases
from services.intake.handlers.uploads import expire_uploads

log = logging.getLogger(__name__)


async def invite_ratings(deps: Deps) -> None:
    """Decided cases not yet rated are invited to rate (好差评), every interval."""
    while True:
        try:
            await invite_unrated_cases(deps)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - a failed sweep is retried next period
            log.warning("rating invitation sweep failed: %s", exc)
        await asyncio.sleep(deps.settings.rating_invite_interval_s)


async def expire_unclaimed_uploads(deps: Deps) -> None:
    """Uploads no submission referred to in time are deleted, every interval."""
    while True:
        try:
            await expire_uploads(deps)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - a failed sweep is retried next period
            log.warning("upload expiry sweep failed: %s", exc)
        await asyncio.sleep(deps.settings.upload_expiry_interval_s)
