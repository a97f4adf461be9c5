"""The only place the approval service's adapters are constructed."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI

from services.approval.api import router
from services.approval.handlers import HANDLERS
from services.approval.settings import ApprovalSettings
from shared.auth import TokenVerifier
from shared.observability.http import create_app
from shared.runtime import Infrastructure

CONSUMED_TOPICS: tuple[str, ...] = ("egov.cases",)


@dataclass
class ApprovalService:
    settings: ApprovalSettings
    infra: Infrastructure
    app: FastAPI


def build(settings: ApprovalSettings | None = None) -> ApprovalService:
    settings = settings or ApprovalSettings()
    infra = Infrastructure(settings)
    if CONSUMED_TOPICS:
        infra.add_consumer(topics=CONSUMED_TOPICS, handlers=HANDLERS)
    app = create_app(
        service=settings.service_name,
        routers=[router],
        readiness=infra.readiness(),
        lifespan=infra.lifespan,
        description="Approval: pre-review, staged workflow, separated roles, parallel approval, suspension, audit chain.",
    )
    app.state.verifier = TokenVerifier(settings)
    return ApprovalService(settings=settings, infra=infra, app=app)
