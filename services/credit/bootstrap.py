"""The only place the credit service's adapters are constructed."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from fastapi import FastAPI

from services.credit import metrics
from services.credit.api import install_error_handlers, router
from services.credit.commands import recompute_objection_deadlines
from services.credit.handlers import Deps, make_handlers, reevaluate
from services.credit.settings import CreditSettings
from services.credit.store import MongoCreditStore
from shared.audit import AuditKeys
from shared.auth import TokenVerifier
from shared.clock import Clock
from shared.contracts.registry import topics_consumed_by
from shared.kafka import EventConsumer
from shared.observability.http import Lifespan, ReadinessCheck, create_app, public_surface
from shared.reference import departments
from shared.runtime import Infrastructure

log = logging.getLogger(__name__)

CONSUMED_TOPICS: tuple[str, ...] = topics_consumed_by("credit")
DESCRIPTION = "Credit: government and social credit records with objections and repair."


@dataclass
class CreditService:
    settings: CreditSettings
    infra: Infrastructure
    app: FastAPI
    deps: Deps
    consumer: EventConsumer


def create_api(
    settings: CreditSettings,
    deps: Deps,
    *,
    lifespan: Lifespan | None = None,
    readiness: dict[str, ReadinessCheck] | None = None,
) -> FastAPI:
    """The HTTP app over ``deps`` (real adapters here, in-memory fakes in unit tests)."""
    app = create_app(
        service=settings.service_name,
        routers=[router],
        readiness=readiness,
        lifespan=lifespan,
        description=DESCRIPTION,
        **public_surface(settings),
    )
    install_error_handlers(app)
    app.state.verifier = TokenVerifier(settings)
    app.state.deps = deps
    return app


def build(settings: CreditSettings | None = None, *, clock: Clock | None = None) -> CreditService:
    settings = settings or CreditSettings()
    infra = Infrastructure(settings, clock=clock)
    store = MongoCreditStore(infra.mongo, infra.db, infra.outbox)
    deps = Deps(
        store=store,
        clock=infra.clock,
        calendar=infra.calendar,
        settings=settings,
        rules=settings.rules(),
        departments=frozenset(departments()),
        audit_keys=AuditKeys.from_setting(settings.audit_key.get_secret_value()),
        wake=infra.relay.wake,
    )
    consumer = infra.add_consumer(
        topics=CONSUMED_TOPICS, handlers=make_handlers(deps), group_id=settings.consumer_group
    )
    infra.on_start.append(store.ensure_indexes)

    async def refresh_open_objections() -> None:
        while True:
            try:
                metrics.OBJECTIONS_OPEN.set(await store.open_objections())
            except Exception as exc:  # noqa: BLE001 - a gauge must not stop the service
                log.warning("open-objection count failed: %s", exc)
            await asyncio.sleep(settings.gauge_refresh_s)

    async def sweep_decay() -> None:
        # Time alone changes levels (decay, end of publicity): publish those changes too.
        while True:
            await asyncio.sleep(settings.reevaluate_every_s)
            try:
                for subject_id in await store.subject_ids():
                    await reevaluate(deps, subject_id)
            except Exception as exc:  # noqa: BLE001 - retried at the next sweep
                log.warning("decay sweep failed: %s", exc)

    infra.add_background(refresh_open_objections)
    infra.add_background(sweep_decay)
    infra.add_deadline_sweep(lambda: recompute_objection_deadlines(deps))
    app = create_api(settings, deps, lifespan=infra.lifespan, readiness=infra.readiness())
    return CreditService(settings=settings, infra=infra, app=app, deps=deps, consumer=consumer)
