"""The ports and context every approval handler receives (built by bootstrap)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from services.approval.domain import Policy
from services.approval.ports import CaseStore, Clock, DocumentRenderer
from services.approval.settings import ApprovalSettings
from shared.audit import AuditKeys
from shared.calendar import WorkingCalendar
from shared.calendar.limits import Limit
from shared.objectstore import ObjectStore

SOURCE = "/egov/approval"


@dataclass
class Deps:
    store: CaseStore
    clock: Clock
    calendar: WorkingCalendar
    settings: ApprovalSettings
    policy: Policy
    audit_keys: AuditKeys
    objects: ObjectStore
    render: DocumentRenderer
    wake: Callable[[], None] = field(default=lambda: None)


def policy_from(settings: ApprovalSettings) -> Policy:
    return Policy(
        prereview_limit=Limit(value=settings.prereview_working_days),
        prereview_role=settings.prereview_role,
        verification_limit=Limit(value=settings.verification_working_days),
        verification_role=settings.verification_role,
        credit_review_limit=Limit(value=settings.credit_review_working_days),
        credit_review_role=settings.credit_review_role,
        suspension_max={k: Limit(value=v) for k, v in settings.suspension_max_working_days.items()},
        supplement_max=Limit(value=settings.supplement_max_working_days),
    )
