"""The only place the intake service's adapters are constructed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import yaml
from fastapi import FastAPI

from services.intake.api import router
from services.intake.api_bundles import router as bundles_router
from services.intake.api_uploads import router as uploads_router
from services.intake.bundles_store import MongoBundleStore
from services.intake.credit import HttpCreditClient
from services.intake.domain.licences import Licence
from services.intake.handlers import Deps, bind
from services.intake.handlers.bundle_catalog import BUNDLES
from services.intake.handlers.bundle_clock import recompute_bundle_clocks
from services.intake.handlers.catalog import ITEMS
from services.intake.handlers.catalog_events import publish_catalog
from services.intake.handlers.deps import SOURCE
from services.intake.handlers.ratings import recompute_rectification_deadlines
from services.intake.jobs import (
    expire_unclaimed_uploads,
    invite_ratings,
    store_owed_licence_documents,
)
from services.intake.ports import (
    BundleStore,
    CreditPort,
    DocumentRenderer,
    IntakeStore,
    UploadStore,
)
from services.intake.settings import IntakeSettings
from services.intake.store import MongoIntakeStore
from services.intake.uploads_store import MongoUploadStore
from shared.audit import AuditKeys
from shared.audit.admin import AdminLog, Chaining
from shared.audit.admin_log import MongoAdminLog
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

CONSUMED_TOPICS: tuple[str, ...] = topics_consumed_by("intake")
DESCRIPTION = "Intake: service catalog, case submission, tracking, ratings, external submissions."


@dataclass
class IntakeService:
    settings: IntakeSettings
    infra: Infrastructure
    app: FastAPI
    deps: Deps
    consumer: EventConsumer


def create_api(
    deps: Deps,
    *,
    lifespan: Lifespan | None = None,
    readiness: dict[str, ReadinessCheck] | None = None,
) -> FastAPI:
    """The HTTP app over ``deps`` (real adapters here, in-memory fakes in unit tests)."""
    app = create_app(
        service=deps.settings.service_name,
        routers=[router, uploads_router, bundles_router],
        readiness=readiness,
        lifespan=lifespan,
        description=DESCRIPTION,
        **public_surface(deps.settings),
    )
    app.state.verifier = TokenVerifier(deps.settings)
    app.state.deps = deps
    return app


def build_deps(
    settings: IntakeSettings,
    *,
    store: IntakeStore,
    bundles: BundleStore,
    changes: AdminLog,
    credit: CreditPort,
    clock: Clock,
    uploads: UploadStore,
    objects: ObjectStore,
    render: DocumentRenderer,
    calendar: WorkingCalendar | None = None,
) -> Deps:
    """Wiring shared by the real service and the unit tests (which pass in-memory fakes)."""
    keys = AuditKeys.from_setting(settings.audit_key.get_secret_value())
    return Deps(
        settings=settings,
        store=store,
        bundles=bundles,
        credit=credit,
        clock=clock,
        calendar=calendar or calendar_from_settings(settings),
        audit_keys=keys,
        chaining=Chaining(changes, keys, clock, SOURCE),
        uploads=uploads,
        objects=objects,
        render=render,
    )


def read_licences(catalog_dir: str) -> list[Licence]:
    """Reference entries of the e-licence registry shipped with the catalog (validated)."""
    path = Path(catalog_dir) / "elicences.yaml"
    if not path.exists():
        return []
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [Licence.model_validate(entry) for entry in data.get("licences") or []]


def _mongo_adapters(
    settings: IntakeSettings, infra: Infrastructure
) -> tuple[MongoIntakeStore, MongoBundleStore, MongoAdminLog, MongoUploadStore]:
    """The four MongoDB adapters, sharing the client, the database and the outbox."""
    store = MongoIntakeStore(
        infra.mongo,
        infra.db,
        infra.outbox,
        clock=infra.clock,
        idempotency_ttl=timedelta(hours=settings.idempotency_ttl_hours),
        item_cache_s=settings.item_cache_s,
    )
    changes = MongoAdminLog(infra.mongo, infra.db, infra.outbox)
    return store, MongoBundleStore(store), changes, MongoUploadStore(infra.db)


def build(
    settings: IntakeSettings | None = None,
    *,
    clock: Clock | None = None,
    credit: CreditPort | None = None,
) -> IntakeService:
    settings = settings or IntakeSettings()
    infra = Infrastructure(settings, clock=clock)
    store, bundles, changes, uploads = _mongo_adapters(settings, infra)
    objects = S3ObjectStore(settings)
    http_credit: HttpCreditClient | None = None
    if credit is None:
        credit = http_credit = HttpCreditClient(settings)
    deps = build_deps(
        settings,
        store=store,
        bundles=bundles,
        changes=changes,
        credit=credit,
        clock=infra.clock,
        uploads=uploads,
        objects=objects,
        render=render_document,
        calendar=infra.calendar,
    )
    deps.wake = infra.relay.wake

    async def on_start() -> None:
        await store.ensure_indexes()
        await bundles.ensure_indexes()
        await changes.ensure_indexes()
        await uploads.ensure_indexes()
        await ITEMS.load(deps)
        await publish_catalog(deps)  # the whole catalog on the bus again (idempotent)
        await BUNDLES.load(deps)  # after the items they are checked against
        await store.load_licences(read_licences(settings.catalog_dir))

    async def on_stop() -> None:
        await objects.aclose()
        if http_credit is not None:
            await http_credit.aclose()

    infra.on_start.append(on_start)
    infra.on_stop.append(on_stop)
    consumer = infra.add_consumer(
        topics=CONSUMED_TOPICS, handlers=bind(deps), group_id=settings.consumer_group
    )
    infra.add_background(lambda: invite_ratings(deps))
    infra.add_background(lambda: expire_unclaimed_uploads(deps))
    infra.add_background(lambda: store_owed_licence_documents(deps))
    infra.add_deadline_sweep(lambda: recompute_rectification_deadlines(deps))
    infra.add_deadline_sweep(lambda: recompute_bundle_clocks(deps))
    app = create_api(deps, lifespan=infra.lifespan, readiness=infra.readiness())
    return IntakeService(settings=settings, infra=infra, app=app, deps=deps, consumer=consumer)
