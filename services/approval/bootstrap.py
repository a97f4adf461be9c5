"""The only place the approval service's adapters are constructed."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from fastapi import FastAPI

from services.approval.api import install_error_handlers, router
from services.approval.api_materials import router as materials_router
from services.approval.handlers import Deps, bind, policy_from, recompute_deadlines
from services.approval.jobs import archive_loop, lapse_loop, refresh_open_gauge
from services.approval.ports import CaseStore, DocumentRenderer
from services.approval.settings import ApprovalSettings
from services.approval.store import MongoCaseStore
from shared.audit import AuditKeys
from shared.auth import TokenVerifier
from shared.calendar import WorkingCalendar
from shared.clock import Clock
from shared.contracts.registry import topics_consumed_by
from shared.documents import render_document
from shared.kafka import EventConsumer
from shared.objectstore import ObjectStore
from shared.objectstore.s3 import S3ObjectStore
from shared.observability.http import Lifespan, ReadinessCheck, create_app, public_surface
from shared.runtime import Infrastructure, calendar_from_settings

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


def build_deps(
    settings: ApprovalSettings,
    *,
    store: CaseStore,
    clock: Clock,
    objects: ObjectStore,
    render: DocumentRenderer,
    calendar: WorkingCalendar | None = None,
) -> Deps:
    """Wiring shared by the real service and the unit tests (which pass in-memory fakes)."""
    return Deps(
        store=store,
        clock=clock,
        calendar=calendar or calendar_from_settings(settings),
        settings=settings,
        policy=policy_from(settings),
        audit_keys=AuditKeys.from_setting(settings.audit_key.get_secret_value()),
        objects=objects,
        render=render,
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
        routers=[router, materials_router],
        readiness=readiness,
        lifespan=lifespan,
        description=DESCRIPTION,
        **public_surface(settings),
    )
    install_error_handlers(app)
    app.state.verifier = TokenVerifier(settings)
    app.state.deps = deps
    return app


def build(
    settings: ApprovalSettings | None = None, *, clock: Clock | None = None
) -> ApprovalService:
    settings = settings or ApprovalSettings()
    infra = Infrastructure(settings, clock=clock)
    store = MongoCaseStore(infra.mongo, infra.db, infra.outbox)
    objects = S3ObjectStore(settings)
    deps = build_deps(
        settings,
        store=store,
        clock=infra.clock,
        objects=objects,
        render=render_document,
        calendar=infra.calendar,
    )
    deps.wake = infra.relay.wake
    infra.on_stop.append(objects.aclose)
    consumer = infra.add_consumer(
        topics=CONSUMED_TOPICS, handlers=bind(deps), group_id=settings.consumer_group
    )
    infra.on_start.append(store.ensure_indexes)
    infra.add_deadline_sweep(partial(recompute_deadlines, deps))
    infra.add_background(lambda: lapse_loop(deps))
    infra.add_background(lambda: archive_loop(deps))
    infra.add_background(lambda: refresh_open_gauge(deps))
    app = create_api(deps, lifespan=infra.lifespan, readiness=infra.readiness())
    return ApprovalService(settings=settings, infra=infra, app=app, deps=deps, consumer=consumer)
