"""The ports and context every credit handler receives (built by bootstrap)."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from services.credit.domain import RuleModel
from services.credit.ports import Calendar, Clock, CreditStore
from services.credit.settings import CreditSettings
from shared.audit import AuditKeys

SOURCE = "/egov/credit"


@dataclass
class Deps:
    store: CreditStore
    clock: Clock
    calendar: Calendar
    settings: CreditSettings
    rules: RuleModel
    departments: Collection[str]
    audit_keys: AuditKeys
    wake: Callable[[], None] = field(default=lambda: None)
