"""The bundle's own clock (一件事承诺时限) follows its items' stops, and is recounted when a
holiday schedule is published. The one place for both rules (docs/bundles.md).

**Stops.** The bundle clock stops as soon as one of its items' clocks is stopped, and runs
again once no item's clock is stopped any more: the bundle is finished only when every item is,
so a wait the law does not count for one item (the applicant's supplement, a special procedure)
is not counted against the bundle either. An item's clock is its case's promised limit once the
case is accepted; before acceptance, its pre-review and acceptance stages (a supplement request
stops the pre-review). Items finished, cancelled or still held stop nothing.

**Time.** Exactly as a case clock's: when it stops the clock keeps the counted time it had left,
and when it runs again (at the item's own running instant: its resumption, or its stop's
maximum if that came first) the due instant is that time later; stopped time never counts.

**Recount.** A due instant counted into a year whose holiday schedule was not published
(``due_provisional``) is counted again on a newer calendar from the submission, replaying the
stops (``shared.calendar.timing.LimitClock``, as approval recounts its stages).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Protocol

from services.intake.domain.bundle_case import FINISHED, BundleApplication, ClockStop
from services.intake.domain.case import CaseRecord, CaseStatus, OpenStage
from shared.calendar.timing import Calendar as TimingCalendar
from shared.calendar.timing import DeadlineCalendar, LimitClock, Stop, advance_by, time_left
from shared.contracts import DeadlineChanged, StageResumed, StageSuspended
from shared.contracts.common import StageKind
from shared.contracts.events import RECOMPUTED_ON_PUBLICATION

BEFORE_ACCEPTANCE = frozenset({StageKind.PREREVIEW, StageKind.ACCEPT})
# What a change of the clock writes (and nothing else: the closing, the rating are others').
CLOCK_FIELDS = ("clock_stops", "clock_seq", "due_at", "due_provisional", "due_calendar")


class Calendar(TimingCalendar, DeadlineCalendar, Protocol):
    """What the bundle clock needs of ``shared.calendar.WorkingCalendar``."""


def item_stop(case: CaseRecord) -> OpenStage | None:
    """The item's stopped clock, if it is stopped (the rule in the module's docstring)."""
    if case.status in FINISHED or case.status is CaseStatus.HELD:
        return None
    clocks = [s for s in case.open_stages if s.stage is StageKind.CASE_PROMISED]
    followed = clocks or [s for s in case.open_stages if s.stage in BEFORE_ACCEPTANCE]
    return next((s for s in followed if s.suspended), None)


def current_stop(app: BundleApplication) -> ClockStop | None:
    last = app.clock_stops[-1] if app.clock_stops else None
    return last if last is not None and last.ended_at is None else None


Change = StageSuspended | StageResumed


def followed(
    app: BundleApplication,
    cases: Mapping[str, CaseRecord],
    *,
    at: datetime,
    calendar: Calendar,
) -> tuple[BundleApplication, Change | None]:
    """The bundle clock after its items' stops changed (``at``: when the change that led here
    happened, the item's running instant for a resumption), and the event to publish; ``app``
    itself and None when the clock already follows them (a redelivery changes nothing)."""
    if app.closed_at is not None:
        return app, None
    stopped = [(cid, s) for cid in app.case_ids if (c := cases.get(cid)) and (s := item_stop(c))]
    stop = current_stop(app)
    if stopped and stop is None:
        return _stopped(app, stopped, at)
    if not stopped and stop is not None:
        return _resumed(app, stop, at, calendar)
    return app, None


def _stopped(
    app: BundleApplication, stopped: list[tuple[str, OpenStage]], at: datetime
) -> tuple[BundleApplication, Change]:
    case_id, stage = min(stopped, key=lambda cs: cs[1].suspended_at or at)
    previous = app.clock_stops[-1].ended_at if app.clock_stops else None
    started = max(stage.suspended_at or at, previous or app.submitted_at)
    reason = stage.suspension_reason or "supplement"
    stop = ClockStop(started_at=started, reason=reason, case_id=case_id)
    event = StageSuspended.model_validate(
        {
            "case_id": app.bundle_id,
            "stage_id": app.clock_stage_id,
            "reason": reason,
            "note": f"一件事事项 {case_id} 暂停计时",
            "suspended_at": started,
        }
    )
    return _with(app, clock_stops=[*app.clock_stops, stop]), event


def _resumed(
    app: BundleApplication, stop: ClockStop, at: datetime, calendar: Calendar
) -> tuple[BundleApplication, Change]:
    running = max(at, stop.started_at)
    unit = app.promised_limit.unit
    left = time_left(unit, stop.started_at, app.due_at, calendar)
    due = advance_by(unit, running, left, calendar) if left > 0 else app.due_at
    provisional = calendar.is_provisional(app.promised_limit, app.submitted_at, due)
    ended = stop.model_copy(update={"ended_at": running})
    event = StageResumed(
        case_id=app.bundle_id,
        stage_id=app.clock_stage_id,
        resumed_at=running,
        due_at=due,
        due_provisional=provisional,
        clock_resumed_at=running,
    )
    updated = _with(
        app,
        clock_stops=[*app.clock_stops[:-1], ended],
        due_at=due,
        due_provisional=provisional,
        due_calendar=calendar.version,
    )
    return updated, event


def recounted(
    app: BundleApplication, *, calendar: Calendar, at: datetime
) -> tuple[BundleApplication, DeadlineChanged | None]:
    """An open bundle clock with a provisional due counted on an older calendar, counted again
    from the submission with its stops; ``deadline.changed`` when the due or its provisional
    mark moved. ``app`` itself when there is nothing to do."""
    if (
        app.closed_at is not None
        or not app.due_provisional
        or not calendar.superseded(app.due_calendar)
    ):
        return app, None
    stops = tuple(Stop(s.started_at, s.ended_at) for s in app.clock_stops)
    due, _ = LimitClock(app.promised_limit, app.submitted_at, stops).replay(calendar)
    provisional = calendar.is_provisional(app.promised_limit, app.submitted_at, due)
    updated = _with(app, due_at=due, due_provisional=provisional, due_calendar=calendar.version)
    if due == app.due_at and provisional == app.due_provisional:
        return updated, None
    event = DeadlineChanged(
        case_id=app.bundle_id,
        kind="stage",
        stage_id=app.clock_stage_id,
        department=app.lead_department,
        region=app.region,
        old_due_at=app.due_at,
        new_due_at=due,
        due_provisional=provisional,
        calendar_version=calendar.version,
        reason=RECOMPUTED_ON_PUBLICATION,
        applicant_told=True,  # the bundle's deadline was on its receipt
        changed_at=at,
    )
    return updated, event


def _with(app: BundleApplication, **changes: object) -> BundleApplication:
    return app.model_copy(update={**changes, "clock_seq": app.clock_seq + 1})
