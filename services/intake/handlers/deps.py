"""The ports and context every intake handler receives (built by bootstrap)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from services.intake.ports import (
    BundleStore,
    CreditPort,
    DocumentRenderer,
    IntakeStore,
    UploadStore,
)
from services.intake.settings import IntakeSettings
from shared.audit import AuditKeys
from shared.audit.admin import Chaining
from shared.calendar import WorkingCalendar
from shared.clock import Clock
from shared.objectstore import ObjectStore
from shared.reference import departments, regions

SOURCE = "/egov/intake"


def department_regions() -> dict[str, str]:
    return {code: d.region for code, d in departments().items()}


@dataclass
class Deps:
    settings: IntakeSettings
    store: IntakeStore
    bundles: BundleStore
    credit: CreditPort
    clock: Clock
    calendar: WorkingCalendar
    audit_keys: AuditKeys
    chaining: Chaining  # of admin changes (the catalog)
    uploads: UploadStore
    objects: ObjectStore
    render: DocumentRenderer
    wake: Callable[[], None] = lambda: None
    departments: dict[str, str] = field(default_factory=department_regions)
    regions: dict[str, str] = field(default_factory=regions)
