"""Credit handlers: one async function per event or command, and the routing table.

Every handler takes the :class:`Deps` first; :func:`bind` turns ``HANDLERS`` into the
``(envelope, data)`` callables the shared consumer expects.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from services.credit.handlers.deps import SOURCE, Deps
from services.credit.handlers.errors import (
    ConcurrencyExhausted,
    Forbidden,
    InvalidSubject,
    NotFound,
)
from services.credit.handlers.incidents import on_credit_incident
from services.credit.handlers.objections import (
    DECIDE_OBJECTION_ROLES,
    decide_objection,
    file_objection,
    recompute_objection_deadlines,
)
from services.credit.handlers.ranking import RANKING_ROLES, department_ranking
from services.credit.handlers.records import credit_of, record_for
from services.credit.handlers.repairs import DECIDE_REPAIR_ROLES, apply_for_repair, decide_repair
from services.credit.handlers.subjects import (
    AUDIT_CHAIN,
    audit_head,
    change_subject,
    credit_department,
    history_entries,
    reevaluate,
    reevaluate_subjects,
)
from shared.contracts import CreditIncident, Envelope
from shared.kafka import Handler

EventHandler = Callable[[Deps, Envelope, Any], Awaitable[None]]

HANDLERS: dict[str, EventHandler] = {
    CreditIncident.event_type: on_credit_incident,
}


def bind(deps: Deps) -> dict[str, Handler]:
    return {event_type: partial(handler, deps) for event_type, handler in HANDLERS.items()}


__all__ = [
    "AUDIT_CHAIN",
    "DECIDE_OBJECTION_ROLES",
    "DECIDE_REPAIR_ROLES",
    "HANDLERS",
    "RANKING_ROLES",
    "SOURCE",
    "ConcurrencyExhausted",
    "Deps",
    "Forbidden",
    "InvalidSubject",
    "NotFound",
    "apply_for_repair",
    "audit_head",
    "bind",
    "change_subject",
    "credit_department",
    "credit_of",
    "decide_objection",
    "decide_repair",
    "department_ranking",
    "file_objection",
    "history_entries",
    "on_credit_incident",
    "recompute_objection_deadlines",
    "record_for",
    "reevaluate",
    "reevaluate_subjects",
]
