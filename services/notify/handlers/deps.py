"""The ports and context every notify handler receives, event handlers and HTTP commands alike
(built by bootstrap)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from services.notify.delivery import Dispatcher
from services.notify.domain import QuietHours
from services.notify.ports import (
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
from shared.audit.admin import Chaining
from shared.clock import Clock
from shared.reference import inspection_office


def inspection_departments(region: str) -> list[str]:
    office = inspection_office(region)
    return [office.code] if office is not None else []


@dataclass
class Deps:
    settings: NotifySettings
    clock: Clock
    projections: ProjectionStore
    directory: DirectoryStore
    deliveries: DeliveryStore
    inbox: InboxStore
    subscriptions: SubscriptionStore
    integrators: IntegratorStore
    resolver: Resolver  # of webhook destinations
    chaining: Chaining  # of admin changes (handlers/admin.py)
    renderer: Renderer
    dispatcher: Dispatcher
    quiet_hours: QuietHours
    offices_of_region: Callable[[str], list[str]] = inspection_departments
