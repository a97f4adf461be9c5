"""The events a bundle publishes: each item's case.submitted (at once, or when the item is
released), and the bundle's own promised limit as a case clock on egov.stages, which the
monitor supervises like a case's (lights, escalation, findings) with no code of its own."""

from __future__ import annotations

from datetime import datetime

from services.intake.domain.bundle_case import BundleApplication
from services.intake.handlers.deps import SOURCE
from shared.contracts import (
    CaseSubmitted,
    Envelope,
    StageClosed,
    StageKind,
    StageOpened,
    derived_event_id,
    make_envelope,
)

BUNDLE_CLOCK_NAME = "一件事承诺时限"


def submitted_envelope(
    data: CaseSubmitted, now: datetime, causation: Envelope | None = None
) -> Envelope:
    return make_envelope(
        data,
        source=SOURCE,
        time=now,
        causation=causation,
        id=derived_event_id("case.submitted", data.case_id),
    )


def bundle_clock_opened(app: BundleApplication) -> Envelope:
    """The bundle's promised limit, from submission, answered for by its lead department."""
    opened = StageOpened(
        case_id=app.bundle_id,
        stage_id=app.clock_stage_id,
        stage=StageKind.CASE_PROMISED,
        name=BUNDLE_CLOCK_NAME,
        item_code=app.bundle_code,
        department=app.lead_department,
        region=app.region,
        required_role="department_head",
        opened_at=app.submitted_at,
        due_at=app.due_at,
        limit=app.promised_limit,
        promised_limit=app.promised_limit,
        due_provisional=app.due_provisional,
    )
    return make_envelope(
        opened,
        source=SOURCE,
        time=app.submitted_at,
        id=derived_event_id("bundle.clock.opened", app.bundle_id),
    )


def bundle_clock_closed(
    app: BundleApplication, outcome: str, at: datetime, causation: Envelope | None
) -> Envelope:
    closed = StageClosed(
        case_id=app.bundle_id,
        stage_id=app.clock_stage_id,
        stage=StageKind.CASE_PROMISED,
        outcome="completed" if outcome == "completed" else "failed",
        reason=f"bundle {outcome}",
        department=app.lead_department,
        closed_at=at,
    )
    return make_envelope(
        closed,
        source=SOURCE,
        time=at,
        causation=causation,
        id=derived_event_id("bundle.clock.closed", app.bundle_id),
    )
