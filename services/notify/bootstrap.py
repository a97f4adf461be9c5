"""The only place the notify service's adapters are constructed."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI

from services.notify.api import router
from services.notify.handlers import HANDLERS
from services.notify.settings import NotifySettings
from shared.auth import TokenVerifier
from shared.observability.http import create_app
from shared.runtime import Infrastructure

CONSUMED_TOPICS: tuple[str, ...] = ("egov.cases", "egov.stages", "egov.supervision", "egov.credit.changes")


@dataclass
class NotifyService:
    settings: NotifySettings
    infra: Infrastructure
    app: FastAPI


def build(settings: NotifySettings | None = None) -> NotifyService:
    settings = settings or NotifySettings()
    infra = Infrastructure(settings)
    if CONSUMED_TOPICS:
        infra.add_consumer(topics=CONSUMED_TOPICS, handlers=HANDLERS)
    app = create_app(
        service=settings.service_name,
        routers=[router],
        readiness=infra.readiness(),
        lifespan=infra.lifespan,
        description="Notify: the right person hears about it once, on the right channel, in their language.",
    )
    app.state.verifier = TokenVerifier(settings)
    return NotifyService(settings=settings, infra=infra, app=app)
