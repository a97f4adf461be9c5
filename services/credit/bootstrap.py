"""The only place the credit service's adapters are constructed."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI

from services.credit.api import router
from services.credit.handlers import HANDLERS
from services.credit.settings import CreditSettings
from shared.auth import TokenVerifier
from shared.observability.http import create_app
from shared.runtime import Infrastructure

CONSUMED_TOPICS: tuple[str, ...] = ("egov.credit.incidents",)


@dataclass
class CreditService:
    settings: CreditSettings
    infra: Infrastructure
    app: FastAPI


def build(settings: CreditSettings | None = None) -> CreditService:
    settings = settings or CreditSettings()
    infra = Infrastructure(settings)
    if CONSUMED_TOPICS:
        infra.add_consumer(topics=CONSUMED_TOPICS, handlers=HANDLERS)
    app = create_app(
        service=settings.service_name,
        routers=[router],
        readiness=infra.readiness(),
        lifespan=infra.lifespan,
        description="Credit: government and social credit records with objections and repair.",
    )
    app.state.verifier = TokenVerifier(settings)
    return CreditService(settings=settings, infra=infra, app=app)
