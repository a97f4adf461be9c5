"""Event handlers of the notify service and their routing table (event type -> handler).

Each handler takes the ports (``Deps``), the envelope and its payload; ``bind(deps)`` gives the
table the consumer calls. Handlers are idempotent: deliveries have deterministic ids under a
unique index, so a replayed event records and sends nothing new.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from services.notify.handlers.bundles import on_stage_closed
from services.notify.handlers.cases import (
    on_case_decided,
    on_case_submitted,
    on_credit_changed,
    on_prereview_done,
    on_rating_invited,
    on_rectification_closed,
    on_rectification_opened,
)
from services.notify.handlers.deps import Deps
from services.notify.handlers.stages import (
    on_deadline_changed,
    on_stage_opened,
    on_stage_overdue,
    on_stage_signed_in,
    on_stage_warned,
    on_supervision_escalated,
    on_supervision_finding,
)
from shared.contracts import (
    CaseDecided,
    CaseSubmitted,
    CreditChanged,
    DeadlineChanged,
    Envelope,
    PreReviewDone,
    RatingInvited,
    RectificationClosed,
    RectificationOpened,
    StageClosed,
    StageOpened,
    StageOverdue,
    StageSignedIn,
    StageWarned,
    SupervisionEscalated,
    SupervisionFinding,
)
from shared.kafka import Handler

EventHandler = Callable[[Deps, Envelope, Any], Awaitable[None]]

HANDLERS: dict[str, EventHandler] = {
    CaseSubmitted.event_type: on_case_submitted,
    PreReviewDone.event_type: on_prereview_done,
    StageOpened.event_type: on_stage_opened,
    StageSignedIn.event_type: on_stage_signed_in,
    StageWarned.event_type: on_stage_warned,
    StageOverdue.event_type: on_stage_overdue,
    SupervisionEscalated.event_type: on_supervision_escalated,
    SupervisionFinding.event_type: on_supervision_finding,
    DeadlineChanged.event_type: on_deadline_changed,
    CaseDecided.event_type: on_case_decided,
    RectificationOpened.event_type: on_rectification_opened,
    RectificationClosed.event_type: on_rectification_closed,
    CreditChanged.event_type: on_credit_changed,
    RatingInvited.event_type: on_rating_invited,
    StageClosed.event_type: on_stage_closed,  # a bundle's end only
}

# Event types other systems may subscribe to by webhook (those notify handles).
WEBHOOK_EVENT_TYPES = frozenset(HANDLERS) - {StageSignedIn.event_type, StageClosed.event_type}


def bind(deps: Deps) -> dict[str, Handler]:
    """The routing table with the ports filled in, as the consumer expects it."""
    return {event_type: partial(handler, deps) for event_type, handler in HANDLERS.items()}


__all__ = ["HANDLERS", "WEBHOOK_EVENT_TYPES", "Deps", "bind"]
