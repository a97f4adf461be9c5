"""Pure rules of the approval service: stdlib + pydantic, no I/O, time passed in."""

from services.approval.domain.audit import AuditRecord
from services.approval.domain.checks import completeness_findings, licence_expiry
from services.approval.domain.inputs import ActionInput, Officer, Policy
from services.approval.domain.model import (
    Action,
    ActionNotAllowed,
    ApprovalError,
    Case,
    CaseStatus,
    Forbidden,
    InvalidAction,
    NotFound,
    Stage,
    StageState,
)
from services.approval.domain.recompute import needs_recompute, recompute_case
from services.approval.domain.stages import Emitted, Transition
from services.approval.domain.timing import Calendar, TaskClock, task_clock
from services.approval.domain.workflow import (
    act,
    allowed_actions,
    apply_supplement,
    authorize,
    lapse_supplement_wait,
    open_case,
    prereview_id,
)
from shared.errors import StaleVersion  # a stale If-Match: defined once for every service

__all__ = [
    "Action",
    "ActionInput",
    "ActionNotAllowed",
    "ApprovalError",
    "AuditRecord",
    "Calendar",
    "Case",
    "CaseStatus",
    "Emitted",
    "Forbidden",
    "InvalidAction",
    "NotFound",
    "Officer",
    "Policy",
    "Stage",
    "StageState",
    "StaleVersion",
    "TaskClock",
    "Transition",
    "act",
    "allowed_actions",
    "apply_supplement",
    "authorize",
    "completeness_findings",
    "licence_expiry",
    "needs_recompute",
    "recompute_case",
    "lapse_supplement_wait",
    "open_case",
    "prereview_id",
    "task_clock",
]
