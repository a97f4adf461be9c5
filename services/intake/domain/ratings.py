"""Ratings (好差评): one per decided case; bad ones open a rectification the department answers;
unrated cases are invited once."""

from __future__ import annotations

from datetime import datetime, timedelta

from services.intake.domain.case import (
    BAD_LEVELS,
    CaseRecord,
    CaseStatus,
    Rating,
    Rectification,
    TimelineEntry,
    local_text,
)
from services.intake.domain.errors import Conflict
from shared.calendar import Limit
from shared.calendar.timing import DeadlineCalendar as Calendar
from shared.contracts.common import RatingLevel
from shared.contracts.events import RECOMPUTED_ON_PUBLICATION, DeadlineChanged


def rate(
    case: CaseRecord,
    *,
    rating_id: str,
    level: RatingLevel,
    scores: dict[str, int],
    comment: str | None,
    at: datetime,
) -> CaseRecord:
    """One rating per case (一次一评), only once the case is decided."""
    if case.status != CaseStatus.DECIDED:
        raise Conflict(f"case {case.case_id} is not decided yet; it can be rated once decided")
    if case.rating is not None:
        raise Conflict(
            f"case {case.case_id} was already rated on {local_text(case.rating.rated_at)}"
            "; each case is rated once"
        )
    rating = Rating(rating_id=rating_id, level=level, scores=scores, comment=comment, rated_at=at)
    entry = TimelineEntry(at=at, kind="rated", text="已评价，感谢您的反馈")
    return case.with_entry(entry, rating=rating)


def needs_rectification(level: RatingLevel) -> bool:
    """不满意 and 非常不满意 must be rectified (整改) and answered by the department."""
    return level in BAD_LEVELS


def open_rectification(
    case: CaseRecord,
    *,
    rectification_id: str,
    at: datetime,
    due_at: datetime,
    limit: Limit,
    due_provisional: bool = False,
    due_calendar: str | None = None,
) -> CaseRecord:
    if case.rating is None:
        raise Conflict("a rectification follows a rating")
    rect = Rectification(
        rectification_id=rectification_id,
        department=case.department,
        rating_level=case.rating.level,
        opened_at=at,
        due_at=due_at,
        limit=limit,
        due_provisional=due_provisional,
        due_calendar=due_calendar,
    )
    return case.model_copy(update={"rectification": rect})


def recompute_rectification(
    case: CaseRecord, *, calendar: Calendar, at: datetime
) -> tuple[CaseRecord, DeadlineChanged | None]:
    """An open rectification's provisional due counted again on ``calendar`` from its opening;
    the case unchanged (the same object) when there is nothing to do."""
    rect = case.rectification
    recomputed, event = recounted(
        rect, owner_id=case.case_id, region=case.handling_region, calendar=calendar, at=at
    )
    if recomputed is rect:
        return case, None
    return case.model_copy(update={"rectification": recomputed}), event


def recounted(
    rect: Rectification | None, *, owner_id: str, region: str, calendar: Calendar, at: datetime
) -> tuple[Rectification | None, DeadlineChanged | None]:
    """The rule for a case's rectification and a bundle's (``owner_id`` the case or bundle id):
    an open one with a provisional due counted on an older calendar is counted again from its
    opening; ``deadline.changed`` when the due or its provisional mark moved. ``rect`` itself
    (the same object) when there is nothing to do."""
    if (
        rect is None
        or rect.closed_at is not None
        or not rect.due_provisional
        or not calendar.superseded(rect.due_calendar)
    ):
        return rect, None
    due = calendar.deadline(rect.opened_at, rect.limit)
    provisional = calendar.is_provisional(rect.limit, rect.opened_at, due)
    recomputed = rect.model_copy(
        update={"due_at": due, "due_provisional": provisional, "due_calendar": calendar.version}
    )
    if due == rect.due_at and provisional == rect.due_provisional:
        return recomputed, None
    event = DeadlineChanged(
        case_id=owner_id,
        kind="rectification",
        rectification_id=rect.rectification_id,
        department=rect.department,
        region=region,
        old_due_at=rect.due_at,
        new_due_at=due,
        due_provisional=provisional,
        calendar_version=calendar.version,
        reason=RECOMPUTED_ON_PUBLICATION,
        changed_at=at,
    )
    return recomputed, event


def answered(
    rect: Rectification | None, owner: str, *, officer: str, answer: str, at: datetime
) -> Rectification:
    """``rect`` answered once (a case's or a bundle's, ``owner`` naming it)."""
    if rect is None:
        raise Conflict(f"{owner} has no rectification")
    if rect.closed_at is not None:
        raise Conflict(f"rectification {rect.rectification_id} was already answered")
    return rect.model_copy(update={"closed_at": at, "officer": officer, "answer": answer})


def close_rectification(case: CaseRecord, *, officer: str, answer: str, at: datetime) -> CaseRecord:
    closed = answered(
        case.rectification, f"case {case.case_id}", officer=officer, answer=answer, at=at
    )
    entry = TimelineEntry(at=at, kind="rectification_answered", text=f"部门整改答复：{answer}")
    return case.with_entry(entry, rectification=closed)


def due_for_invitation(case: CaseRecord, *, now: datetime, after: timedelta) -> bool:
    """A decided, unrated, not yet invited case whose decision is at least ``after`` old (a
    bundle's case is rated with its bundle, never invited on its own)."""
    return (
        case.status == CaseStatus.DECIDED
        and case.bundle_id is None
        and case.rating is None
        and case.invited_at is None
        and case.decided_at is not None
        and now - case.decided_at >= after
    )


def invite(case: CaseRecord, *, at: datetime) -> CaseRecord:
    entry = TimelineEntry(at=at, kind="rating_invited", text="邀请您对本次办事进行评价")
    return case.with_entry(entry, invited_at=at)
