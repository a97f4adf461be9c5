"""Approval handlers: one async function per event or command, and the routing table.

Every handler takes the :class:`Deps` first; :func:`bind` turns ``HANDLERS`` into the
``(envelope, data)`` callables the shared consumer expects. Each loads the case, applies a pure
rule, and writes the new state, its timeline entries and its events in one transaction through
the outbox.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from services.approval.handlers.actions import perform_action
from services.approval.handlers.archive import (
    legal_hold,
    on_licence_issued,
    purge_expired,
    seal_case,
    seal_finished,
)
from services.approval.handlers.archive_verify import ArchiveCheck, verify_archive
from services.approval.handlers.cases import (
    on_case_submitted,
    on_case_supplemented,
    on_owed_supplied,
)
from services.approval.handlers.deps import SOURCE, Deps, policy_from
from services.approval.handlers.downloads import material_download
from services.approval.handlers.queries import (
    OVERSIGHT_ROLES,
    can_see,
    case_timeline,
    list_tasks,
    officer_of,
    task_view,
    visible_case,
)
from services.approval.handlers.sweeps import (
    lapse_owed_materials,
    lapse_supplement_waits,
    lapse_waits,
    recompute_deadlines,
)
from services.approval.handlers.transitions import AUDIT_CHAIN, audit_head
from shared.contracts import (
    CaseSubmitted,
    CaseSupplemented,
    Envelope,
    LicenceIssued,
    OwedMaterialsSupplied,
)
from shared.kafka import Handler

EventHandler = Callable[[Deps, Envelope, Any], Awaitable[None]]

HANDLERS: dict[str, EventHandler] = {
    CaseSubmitted.event_type: on_case_submitted,
    CaseSupplemented.event_type: on_case_supplemented,
    OwedMaterialsSupplied.event_type: on_owed_supplied,
    LicenceIssued.event_type: on_licence_issued,
}


def bind(deps: Deps) -> dict[str, Handler]:
    return {event_type: partial(handler, deps) for event_type, handler in HANDLERS.items()}


__all__ = [
    "AUDIT_CHAIN",
    "HANDLERS",
    "ArchiveCheck",
    "OVERSIGHT_ROLES",
    "SOURCE",
    "Deps",
    "audit_head",
    "bind",
    "can_see",
    "case_timeline",
    "lapse_owed_materials",
    "lapse_supplement_waits",
    "lapse_waits",
    "legal_hold",
    "list_tasks",
    "material_download",
    "officer_of",
    "on_case_submitted",
    "on_case_supplemented",
    "on_licence_issued",
    "on_owed_supplied",
    "perform_action",
    "policy_from",
    "purge_expired",
    "recompute_deadlines",
    "seal_case",
    "seal_finished",
    "task_view",
    "verify_archive",
    "visible_case",
]
