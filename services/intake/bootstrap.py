"""The only place the intake service's adapters are constructed."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI

from services.intake.api import router
from services.intake.handlers import HANDLERS
from services.intake.settings import IntakeSettings
from shared.auth import TokenVerifier
from shared.observability.http import create_app
from shared.runtime import Infrastructure

CONSUMED_TOPICS: tuple[str, ...] = ("egov.intake.submissions", "egov.stages", "egov.credit.changes")


@dataclass
class IntakeService:
    settings: IntakeSettings
    infra: Infrastructure
    app: FastAPI


def build(settings: IntakeSettings | None = None) -> IntakeService:
    settings = settings or IntakeSettings()
    infra = Infrastructure(settings)
    if CONSUMED_TOPICS:
        infra.add_consumer(topics=CONSUMED_TOPICS, handlers=HANDLERS)
    app = create_app(
        service=settings.service_name,
        routers=[router],
        readiness=infra.readiness(),
        lifespan=infra.lifespan,
        description="Intake: service catalog, case submission, tracking, ratings, external submissions.",
    )
    app.state.verifier = TokenVerifier(settings)
    return IntakeService(settings=settings, infra=infra, app=app)
