"""The ports and context every credit handler receives (built by bootstrap)."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from services.credit.domain import RuleModel
from services.credit.ports import Clock, CreditStore
from services.credit.settings import CreditSettings
from shared.audit import AuditKeys
from shared.calendar.timing import DeadlineCalendar

SOURCE = "/egov/credit"


@dataclass
class Deps:
    store: CreditStore
    clock: Clock
    calendar: DeadlineCalendar
    settings: CreditSettings
    rules: RuleModel
    departments: Collection[str]
    audit_keys: AuditKeys
    wake: Callable[[], None] = field(default=lambda: None)
