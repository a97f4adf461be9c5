"""The only place the credit service's adapters are constructed."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI

from services.credit.api import install_error_handlers, router
from services.credit.handlers import Deps, bind, recompute_objection_deadlines
from services.credit.jobs import refresh_open_objections, sweep_decay
from services.credit.ports import CreditStore
from services.credit.settings import CreditSettings
from services.credit.store import MongoCreditStore
from shared.audit import AuditKeys
from shared.auth import TokenVerifier
from shared.calendar.timing import DeadlineCalendar
from shared.clock import Clock
from shared.contracts.registry import topics_consumed_by
from shared.kafka import EventConsumer
from shared.observability.http import Lifespan, ReadinessCheck, create_app, public_surface
from shared.reference import departments
from shared.runtime import Infrastructure, calendar_from_settings

CONSUMED_TOPICS: tuple[str, ...] = topics_consumed_by("credit")
DESCRIPTION = "Credit: government and social credit records with objections and repair."


@dataclass
class CreditService:
    settings: CreditSettings
    infra: Infrastructure
    app: FastAPI
    deps: Deps
    consumer: EventConsumer


def build_deps(
    settings: CreditSettings,
    *,
    store: CreditStore,
    clock: Clock,
    calendar: DeadlineCalendar | None = None,
) -> Deps:
    """Wiring shared by the real service and the unit tests (which pass in-memory fakes)."""
    return Deps(
        store=store,
        clock=clock,
        calendar=calendar or calendar_from_settings(settings),
        settings=settings,
        rules=settings.rules(),
        departments=frozenset(departments()),
        audit_keys=AuditKeys.from_setting(settings.audit_key.get_secret_value()),
    )


def create_api(
    deps: Deps,
    *,
    lifespan: Lifespan | None = None,
    readiness: dict[str, ReadinessCheck] | None = None,
) -> FastAPI:
    """The HTTP app over ``deps`` (real adapters here, in-memory fakes in unit tests)."""
    settings = deps.settings
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
    deps = build_deps(settings, store=store, clock=infra.clock, calendar=infra.calendar)
    deps.wake = infra.relay.wake
    consumer = infra.add_consumer(
        topics=CONSUMED_TOPICS, handlers=bind(deps), group_id=settings.consumer_group
    )
    infra.on_start.append(store.ensure_indexes)
    infra.add_background(lambda: refresh_open_objections(deps))
    infra.add_background(lambda: sweep_decay(deps))
    infra.add_deadline_sweep(lambda: recompute_objection_deadlines(deps))
    app = create_api(deps, lifespan=infra.lifespan, readiness=infra.readiness())
    return CreditService(settings=settings, infra=infra, app=app, deps=deps, consumer=consumer)
