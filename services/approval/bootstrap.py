"""The only place the approval service's adapters are constructed."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from functools import partial

from fastapi import FastAPI

from services.approval import metrics
from services.approval.api import router
from services.approval.api_materials import router as materials_router
from services.approval.handlers import (
    Deps,
    lapse_supplement_waits,
    make_handlers,
    policy_from,
    recompute_deadlines,
)
from services.approval.settings import ApprovalSettings
from services.approval.store import MongoCaseStore
from shared.audit import AuditKeys
from shared.auth import TokenVerifier
from shared.clock import Clock
from shared.contracts.registry import topics_consumed_by
from shared.kafka import EventConsumer
from shared.objectstore.s3 import S3ObjectStore
from shared.observability.http import Lifespan, ReadinessCheck, create_app, public_surface
from shared.runtime import Infrastructure

log = logging.getLogger(__name__)

CONSUMED_TOPICS: tuple[str, ...] = topics_consumed_by("approval")
DESCRIPTION = (
    "Approval: pre-review, staged workflow, separated roles, parallel approval, suspension, "
    "audit chain."
)


@dataclass
class ApprovalService:
    settings: ApprovalSettings
    infra: Infrastructure
    app: FastAPI
    deps: Deps
    consumer: EventConsumer


def create_api(
    settings: ApprovalSettings,
    deps: Deps,
    *,
    lifespan: Lifespan | None = None,
    readiness: dict[str, ReadinessCheck] | None = None,
) -> FastAPI:
    """The HTTP app over ``deps`` (real adapters here, in-memory fakes in unit tests)."""
    app = create_app(
        service=settings.service_name,
        routers=[router, materials_router],
        readiness=readiness,
        lifespan=lifespan,
        description=DESCRIPTION,
        **public_surface(settings),
    )
    app.state.verifier = TokenVerifier(settings)
    app.state.deps = deps
    return app


def build(
    settings: ApprovalSettings | None = None, *, clock: Clock | None = None
) -> ApprovalService:
    settings = settings or ApprovalSettings()
    infra = Infrastructure(settings, clock=clock)
    store = MongoCaseStore(infra.mongo, infra.db, infra.outbox)
    deps = Deps(
        store=store,
        clock=infra.clock,
        calendar=infra.calendar,
        settings=settings,
        policy=policy_from(settings),
        audit_keys=AuditKeys.from_setting(settings.audit_key.get_secret_value()),
        objects=(objects := S3ObjectStore(settings)),
        wake=infra.relay.wake,
    )
    infra.on_stop.append(objects.aclose)
    consumer = infra.add_consumer(
        topics=CONSUMED_TOPICS, handlers=make_handlers(deps), group_id=settings.consumer_group
    )
    infra.on_start.append(store.ensure_indexes)
    infra.add_deadline_sweep(partial(recompute_deadlines, deps))

    async def lapse_loop() -> None:
        while True:
            try:
                await lapse_supplement_waits(deps)
            except Exception as exc:  # noqa: BLE001 - retried at the next sweep
                log.warning("supplement-wait sweep failed: %s", exc)
            await asyncio.sleep(settings.lapse_sweep_s)

    infra.add_background(lapse_loop)

    async def refresh_open_gauge() -> None:
        seen: set[str] = set()
        while True:
            try:
                counts = await store.open_stage_counts()
                for department in seen | set(counts):
                    metrics.STAGES_OPEN.labels(department).set(counts.get(department, 0))
                seen |= set(counts)
            except Exception as exc:  # noqa: BLE001 - a gauge must not stop the service
                log.warning("open-stage count failed: %s", exc)
            await asyncio.sleep(settings.gauge_refresh_s)

    infra.add_background(refresh_open_gauge)
    app = create_api(settings, deps, lifespan=infra.lifespan, readiness=infra.readiness())
    return ApprovalService(settings=settings, infra=infra, app=app, deps=deps, consumer=consumer)
