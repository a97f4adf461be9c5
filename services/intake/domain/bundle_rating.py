"""The bundle rated once (好差评, 一次一评): the applicant rates the bundle as the one thing
they applied for, once it is finished (every item decided or cancelled), never its cases one
by one. The rating is the lead department's to answer for: a bad one opens a rectification the
lead department answers, like a case's. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from services.intake.domain.bundle_case import BundleApplication, outcome
from services.intake.domain.case import (
    CaseRecord,
    Rating,
    Rectification,
    TimelineEntry,
    local_text,
)
from services.intake.domain.errors import Conflict, FieldError
from services.intake.domain.ratings import answered
from shared.calendar import Limit
from shared.contracts.common import RatingLevel


def rating_id_for(bundle_id: str) -> str:
    return f"RATE-{bundle_id}"


def rate_bundle(
    app: BundleApplication,
    cases: Mapping[str, CaseRecord],
    *,
    level: RatingLevel,
    scores: dict[str, int],
    comment: str | None,
    at: datetime,
) -> BundleApplication:
    """One rating per bundle, only once its outcome is settled: every item decided or
    cancelled (the rule the tracking view shows, ``bundle_case.outcome``), even while the
    bundle clock's closing is still on its way."""
    if (app.outcome or outcome(app, cases)) == "in_progress":
        raise Conflict(
            f"bundle {app.bundle_id} is not finished yet; it is rated once every item is done",
            [FieldError("bundle_id", "the bundle is still in progress")],
        )
    if app.rating is not None:
        raise Conflict(
            f"bundle {app.bundle_id} was already rated on {local_text(app.rating.rated_at)}; "
            "a bundle is rated once",
            [FieldError("bundle_id", "already rated")],
        )
    rating = Rating(
        rating_id=rating_id_for(app.bundle_id),
        level=level,
        scores=scores,
        comment=comment,
        rated_at=at,
    )
    entry = TimelineEntry(at=at, kind="rated", text="已评价（一件事），感谢您的反馈")
    return app.model_copy(update={"rating": rating, "timeline": [*app.timeline, entry]})


def open_bundle_rectification(
    app: BundleApplication,
    *,
    at: datetime,
    due_at: datetime,
    limit: Limit,
    due_provisional: bool,
    due_calendar: str,
) -> BundleApplication:
    if app.rating is None:
        raise Conflict("a rectification follows a rating")
    rect = Rectification(
        rectification_id=f"RECT-{app.bundle_id}",
        department=app.lead_department,
        rating_level=app.rating.level,
        opened_at=at,
        due_at=due_at,
        limit=limit,
        due_provisional=due_provisional,
        due_calendar=due_calendar,
    )
    return app.model_copy(update={"rectification": rect})


def close_bundle_rectification(
    app: BundleApplication, *, officer: str, answer: str, at: datetime
) -> BundleApplication:
    owner = f"bundle {app.bundle_id}"
    closed = answered(app.rectification, owner, officer=officer, answer=answer, at=at)
    entry = TimelineEntry(at=at, kind="rectification_answered", text=f"部门整改答复：{answer}")
    return app.model_copy(update={"rectification": closed, "timeline": [*app.timeline, entry]})


def rated_departments(app: BundleApplication, cases: Mapping[str, CaseRecord]) -> list[str]:
    """The departments the bundle's rating speaks of: the lead's first, then each item's, once."""
    found = [app.lead_department]
    found += [cases[i.case_id].department for i in app.items if i.case_id in cases]
    return list(dict.fromkeys(found))


def due_for_invitation(app: BundleApplication, *, now: datetime, after: timedelta) -> bool:
    """A finished (closed), unrated, not yet invited bundle whose outcome is at least ``after``
    old: the rule a case's invitation follows (``ratings.due_for_invitation``), for the bundle
    as one thing, so its applicant is invited once and never once per item."""
    return (
        app.closed_at is not None
        and app.rating is None
        and app.invited_at is None
        and now - app.closed_at >= after
    )


def refuse_item_rating(case: CaseRecord) -> None:
    """A bundle's case is rated with its bundle, once, never on its own."""
    if case.bundle_id is not None:
        raise Conflict(
            f"case {case.case_id} is an item of bundle {case.bundle_id}, rated once as a whole: "
            f"POST /v1/bundles/{case.bundle_id}/rating",
            [FieldError("case_no", f"rate bundle {case.bundle_id} instead")],
        )
