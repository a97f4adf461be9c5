"""Monitor handlers: one async function per incoming event (and per timer firing), and the
routing table.

Every handler takes ``(deps, envelope, data)`` as in the other services; ``deps.arrived(incoming)``
gives the ports for one message, with where and when it arrived (``deps.msg``). Every handler
publishes what it derived (acknowledged by the broker) BEFORE it writes the case record, so a
crash in between replays the event and republishes the same derived ids.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from services.monitor.handlers.cases import (
    on_case_decided,
    on_case_rated,
    on_prereview_done,
    on_rectification_closed,
    on_rectification_opened,
)
from services.monitor.handlers.deps import SOURCE, Deps, Incoming
from services.monitor.handlers.records import STANDALONE, finished
from services.monitor.handlers.settle import settle
from services.monitor.handlers.stages import (
    on_deadline_changed,
    on_stage_closed,
    on_stage_opened,
    on_stage_resumed,
    on_stage_signed_in,
    on_stage_suspended,
)
from services.monitor.handlers.timers import on_timer
from shared.contracts import (
    CaseDecided,
    CaseRated,
    DeadlineChanged,
    Envelope,
    PreReviewDone,
    RectificationClosed,
    RectificationOpened,
    StageClosed,
    StageOpened,
    StageResumed,
    StageSignedIn,
    StageSuspended,
)

EventHandler = Callable[[Deps, Envelope, Any], Awaitable[None]]
Handler = EventHandler

HANDLERS: dict[str, EventHandler] = {
    StageOpened.event_type: on_stage_opened,
    StageSignedIn.event_type: on_stage_signed_in,
    StageSuspended.event_type: on_stage_suspended,
    StageResumed.event_type: on_stage_resumed,
    StageClosed.event_type: on_stage_closed,
    PreReviewDone.event_type: on_prereview_done,
    CaseDecided.event_type: on_case_decided,
    RectificationOpened.event_type: on_rectification_opened,
    RectificationClosed.event_type: on_rectification_closed,
    CaseRated.event_type: on_case_rated,
    DeadlineChanged.event_type: on_deadline_changed,
}

__all__ = [
    "HANDLERS",
    "SOURCE",
    "STANDALONE",
    "Deps",
    "EventHandler",
    "Handler",
    "Incoming",
    "finished",
    "on_case_decided",
    "on_case_rated",
    "on_deadline_changed",
    "on_prereview_done",
    "on_rectification_closed",
    "on_rectification_opened",
    "on_stage_closed",
    "on_stage_opened",
    "on_stage_resumed",
    "on_stage_signed_in",
    "on_stage_suspended",
    "on_timer",
    "settle",
]
