"""The only place the notify service's adapters are constructed."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import yaml
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from services.notify.api import router as api_router
from services.notify.channels import EmailChannel, InboxChannel, SmsChannel, WebhookChannel
from services.notify.delivery import Dispatcher
from services.notify.destinations import SystemResolver
from services.notify.domain import (
    ChannelName,
    Directory,
    InvalidDirectory,
    QuietHours,
    is_newer,
    parse_directory,
)
from services.notify.handlers import Deps, bind
from services.notify.handlers.admin import SOURCE, load_directory
from services.notify.jobs import deliver_due
from services.notify.ports import (
    Channel,
    DeliveryStore,
    DirectoryStore,
    InboxStore,
    IntegratorStore,
    ProjectionStore,
    Renderer,
    Resolver,
    SubscriptionStore,
)
from services.notify.settings import NotifySettings
from services.notify.store import (
    MongoDeliveries,
    MongoDirectory,
    MongoInbox,
    MongoIntegrators,
    MongoProjections,
    MongoSubscriptions,
)
from services.notify.store.cached import CachedDirectory, CachedSubscriptions
from services.notify.templates import JinjaRenderer
from services.notify.webhook_api import router as webhook_router
from shared.audit import AuditKeys
from shared.audit.admin import AdminLog, Chaining, ChainMoved
from shared.audit.admin_log import MongoAdminLog
from shared.auth import TokenVerifier
from shared.clock import Clock
from shared.contracts.registry import topics_consumed_by
from shared.kafka import EventConsumer
from shared.observability.errors import error_response, map_errors
from shared.observability.http import Lifespan, ReadinessCheck, create_app, public_surface
from shared.runtime import Infrastructure

log = logging.getLogger(__name__)

CONSUMED_TOPICS: tuple[str, ...] = topics_consumed_by("notify")


@dataclass
class NotifyService:
    settings: NotifySettings
    infra: Infrastructure
    app: FastAPI
    deps: Deps
    consumer: EventConsumer
    directory: MongoDirectory


def read_directory_file(path: str | Path) -> Directory:
    """The directory file; InvalidDirectory (naming each bad entry) stops the service's start."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InvalidDirectory(f"{path}: not valid YAML: {exc}") from None
    return parse_directory(data, str(path))


async def load_directory_if_newer(
    directory: DirectoryStore, path: str | Path, chaining: Chaining
) -> bool:
    """Load the file into the store when the store is empty or the file's version is newer."""
    candidate = read_directory_file(path)
    current = await directory.version()
    if not is_newer(candidate.version, current):
        return False
    await load_directory(chaining, directory, candidate)
    log.info("officer directory %s loaded (was %s)", candidate.version, current)
    return True


def build_deps(
    settings: NotifySettings,
    *,
    clock: Clock,
    projections: ProjectionStore,
    directory: DirectoryStore,
    deliveries: DeliveryStore,
    inbox: InboxStore,
    subscriptions: SubscriptionStore,
    integrators: IntegratorStore,
    changes: AdminLog,
    resolver: Resolver,
    channels: Mapping[ChannelName, Channel],
    renderer: Renderer | None = None,
) -> Deps:
    """The handlers' ports: real adapters from ``build``, in-memory fakes from unit tests."""
    dispatcher = Dispatcher(
        deliveries=deliveries, channels=channels, clock=clock, settings=settings
    )
    return Deps(
        settings=settings,
        clock=clock,
        projections=projections,
        # Role lookups for every officer's message; changed rarely, through this service only.
        directory=CachedDirectory(directory, ttl_s=settings.directory_cache_s),
        deliveries=deliveries,
        inbox=inbox,
        # Read for every consumed event, changed rarely and through this service only.
        subscriptions=CachedSubscriptions(
            subscriptions, ttl_s=settings.webhook_subscription_cache_s
        ),
        integrators=integrators,
        resolver=resolver,
        chaining=chaining_of(settings, changes, clock),
        renderer=renderer or JinjaRenderer(settings.templates_dir, settings.default_locale),
        dispatcher=dispatcher,
        quiet_hours=QuietHours.parse(
            settings.quiet_hours_start, settings.quiet_hours_end, settings.quiet_hours_tz
        ),
    )


def chaining_of(settings: NotifySettings, log: AdminLog, clock: Clock) -> Chaining:
    """How admin changes are chained: the real log from ``build``, a fake from unit tests."""
    keys = AuditKeys.from_setting(settings.audit_key.get_secret_value())
    return Chaining(log, keys, clock, SOURCE)


def _chain_moved(exc: Exception) -> JSONResponse:
    return error_response(409, f"{exc} changed meanwhile; read it again and retry")


def create_api(
    deps: Deps,
    *,
    lifespan: Lifespan | None = None,
    readiness: dict[str, ReadinessCheck] | None = None,
) -> FastAPI:
    """The HTTP app over ``deps`` (real adapters from ``build``, fakes from unit tests)."""
    app = create_app(
        service=deps.settings.service_name,
        routers=[api_router, webhook_router],
        readiness=readiness,
        lifespan=lifespan,
        description="Notify: the right person hears about it once, on the right channel, "
        "in their language.",
        **public_surface(deps.settings),
    )
    map_errors(app, {ChainMoved: _chain_moved})
    app.state.verifier = TokenVerifier(deps.settings)
    app.state.deps = deps
    return app


def webhook_client() -> httpx.AsyncClient:
    """For webhooks only: no redirects (each hop would escape the destination check), no proxy
    from the environment, no kept-alive connection (each request goes to the address checked for
    it, under its own host name)."""
    return httpx.AsyncClient(
        follow_redirects=False,
        trust_env=False,
        limits=httpx.Limits(max_keepalive_connections=0),
    )


def build(settings: NotifySettings | None = None, *, clock: Clock | None = None) -> NotifyService:
    settings = settings or NotifySettings()
    infra = Infrastructure(settings, clock=clock)
    projections = MongoProjections(infra.db, timedelta(days=settings.parked_ttl_days))
    directory = MongoDirectory(infra.db)
    inbox = MongoInbox(infra.db)
    deliveries = MongoDeliveries(infra, inbox)
    subscriptions = MongoSubscriptions(infra.db)
    integrators = MongoIntegrators(infra.db)
    changes = MongoAdminLog(infra.mongo, infra.db, infra.outbox)
    resolver = SystemResolver(settings.webhook_dns_timeout_s)
    http = httpx.AsyncClient(follow_redirects=False)
    hooks_http = webhook_client()
    channels: dict[ChannelName, Channel] = {
        ChannelName.EMAIL: EmailChannel(settings),
        ChannelName.SMS: SmsChannel(settings, http),
        ChannelName.INBOX: InboxChannel(inbox, infra.clock),
        ChannelName.WEBHOOK: WebhookChannel(
            settings, hooks_http, subscriptions, integrators, resolver
        ),
    }
    deps = build_deps(
        settings,
        clock=infra.clock,
        projections=projections,
        directory=directory,
        deliveries=deliveries,
        inbox=inbox,
        subscriptions=subscriptions,
        integrators=integrators,
        changes=changes,
        resolver=resolver,
        channels=channels,
    )
    consumer = infra.add_consumer(
        topics=CONSUMED_TOPICS, handlers=bind(deps), group_id=settings.consumer_group
    )

    async def prepare() -> None:
        stores = (projections, directory, deliveries, inbox, subscriptions, integrators, changes)
        for store in stores:
            await store.ensure_indexes()
        await load_directory_if_newer(deps.directory, settings.directory_file, deps.chaining)

    async def close_http() -> None:
        await http.aclose()
        await hooks_http.aclose()

    infra.on_start.append(prepare)
    infra.on_stop.append(close_http)
    infra.add_background(lambda: deliver_due(deps))

    app = create_api(deps, lifespan=infra.lifespan, readiness=infra.readiness())
    return NotifyService(
        settings=settings, infra=infra, app=app, deps=deps, consumer=consumer, directory=directory
    )
