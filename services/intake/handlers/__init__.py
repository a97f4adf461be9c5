"""Intake handlers: one async function per command or event, and the routing table.

Every handler takes the :class:`Deps` first; :func:`bind` turns ``HANDLERS`` into the
``(envelope, data)`` callables the shared consumer expects.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from services.intake.handlers.bundle_clock import (
    on_stage_closed,
    on_stage_resumed,
    on_stage_suspended,
)
from services.intake.handlers.bundle_ingress import on_bundle_submission_received
from services.intake.handlers.bundle_release import on_case_decided
from services.intake.handlers.deps import Deps
from services.intake.handlers.ratings import (
    invite_unrated_cases,
    recompute_rectification_deadlines,
)
from services.intake.handlers.submission import on_submission_received, submit_case
from services.intake.handlers.tracking import (
    on_credit_changed,
    on_deadline_changed,
    on_prereview_done,
    on_stage_opened,
)
from shared.contracts import (
    BundleSubmissionReceived,
    CaseDecided,
    CaseSubmissionReceived,
    CreditChanged,
    DeadlineChanged,
    Envelope,
    PreReviewDone,
    StageClosed,
    StageOpened,
    StageResumed,
    StageSuspended,
)
from shared.kafka import Handler

EventHandler = Callable[[Deps, Envelope, Any], Awaitable[None]]

HANDLERS: dict[str, EventHandler] = {
    CaseSubmissionReceived.event_type: on_submission_received,
    BundleSubmissionReceived.event_type: on_bundle_submission_received,
    PreReviewDone.event_type: on_prereview_done,
    StageOpened.event_type: on_stage_opened,
    StageClosed.event_type: on_stage_closed,
    StageSuspended.event_type: on_stage_suspended,
    StageResumed.event_type: on_stage_resumed,
    CaseDecided.event_type: on_case_decided,
    CreditChanged.event_type: on_credit_changed,
    DeadlineChanged.event_type: on_deadline_changed,
}


def bind(deps: Deps) -> dict[str, Handler]:
    return {event_type: partial(handler, deps) for event_type, handler in HANDLERS.items()}


__all__ = [
    "HANDLERS",
    "Deps",
    "bind",
    "invite_unrated_cases",
    "recompute_rectification_deadlines",
    "submit_case",
]
