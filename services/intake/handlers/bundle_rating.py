"""The bundle rated once (POST /v1/bundles/{id}/rating) and its rectification answered: one
``case.rated`` for the bundle (case_id = the bundle id, the lead department, the bundle code,
the items' departments), never one per item. Rules: services/intake/domain/bundle_rating.py."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from services.intake.domain import Conflict, FieldError, Forbidden, NotFound
from services.intake.domain import bundle_rating as rules
from services.intake.domain.bundle_case import BundleApplication
from services.intake.domain.ratings import needs_rectification, recounted
from services.intake.handlers.access import token_opens
from services.intake.handlers.audit import applicant_actor, linked_bundle
from services.intake.handlers.bundle_tracking import open_bundle
from services.intake.handlers.deps import SOURCE, Deps
from services.intake.metrics import RATING_INVITATIONS, RATINGS, RECTIFICATIONS
from shared import jobs
from shared.auth import Principal
from shared.calendar import Limit
from shared.contracts import (
    CaseRated,
    Envelope,
    RatingInvited,
    RatingLevel,
    RectificationClosed,
    RectificationOpened,
    derived_event_id,
    make_envelope,
)
from shared.roles import OFFICERS_AND_ADMIN

log = logging.getLogger(__name__)

CHAINED = ("timeline", "audit_seq", "audit_head")  # the application's own audit chain


async def _open_for_applicant(
    deps: Deps, bundle_id: str, *, code: str | None, principal: Principal | None
) -> BundleApplication:
    """The bundle, opened by its applicant (token or code) or the agent who submitted it; an
    officer may read it, never rate it for the applicant."""
    app = await deps.bundles.get_application(bundle_id) if len(bundle_id) <= 40 else None
    if app is not None and token_opens(
        principal, applicant=app.applicant, submitted_by=app.submitted_by, officers=False
    ):
        return app
    if code is None and principal is not None and principal.has_any(*OFFICERS_AND_ADMIN):
        raise Forbidden(
            "officers may read a bundle, never rate it for the applicant",
            [FieldError("Authorization", "not the applicant's token")],
        )
    return await open_bundle(deps, bundle_id, code=code, principal=None)


async def rate_bundle(
    deps: Deps,
    bundle_id: str,
    *,
    level: RatingLevel,
    scores: dict[str, int],
    comment: str | None,
    code: str | None,
    principal: Principal | None,
) -> dict[str, Any]:
    app = await _open_for_applicant(deps, bundle_id, code=code, principal=principal)
    now = deps.clock.now()
    found = {cid: await deps.store.get_case(cid) for cid in app.case_ids}
    cases = {k: v for k, v in found.items() if v is not None}
    rated = rules.rate_bundle(app, cases, level=level, scores=scores, comment=comment, at=now)
    limit = Limit(value=deps.settings.rectification_days)
    if needs_rectification(level):
        due_at = deps.calendar.deadline(now, limit)
        rated = rules.open_bundle_rectification(
            rated,
            at=now,
            due_at=due_at,
            limit=limit,
            due_provisional=deps.calendar.is_provisional(limit, now, due_at),
            due_calendar=deps.calendar.version,
        )
    departments = rules.rated_departments(app, cases)
    rated, checkpoints = linked_bundle(deps, rated, actor=applicant_actor(principal))
    events = [_rated(rated, departments, now)]
    if rated.rectification is not None:
        events.append(_rectification_opened(rated, now))
    written = await deps.bundles.update_application(
        rated,
        fields=(*CHAINED, "rating", "rectification"),
        while_unset="rating",
        events=[*events, *checkpoints],
    )
    if not written:
        raise Conflict(
            f"bundle {bundle_id} was rated meanwhile; a bundle is rated once",
            [FieldError("bundle_id", "already rated")],
        )
    deps.wake()
    RATINGS.labels(app.lead_department, level.value).inc()
    answer: dict[str, Any] = {
        "bundle_id": bundle_id,
        "rating_id": rules.rating_id_for(bundle_id),
        "level": level.value,
        "departments": departments,
    }
    if (rect := rated.rectification) is not None:
        RECTIFICATIONS.labels(app.lead_department, "opened").inc()
        answer["rectification"] = {
            "rectification_id": rect.rectification_id,
            "department": rect.department,
            "due_at": rect.due_at.isoformat(),
            "due_provisional": rect.due_provisional,
        }
    return answer


def _rated(app: BundleApplication, departments: list[str], now: datetime) -> Envelope:
    assert app.rating is not None
    data = CaseRated(
        case_id=app.bundle_id,
        rating_id=app.rating.rating_id,
        level=app.rating.level,
        scores=app.rating.scores,
        comment=app.rating.comment,
        department=app.lead_department,
        item_code=app.bundle_code,
        region=app.region,
        rated_at=now,
        bundle_id=app.bundle_id,
        departments=departments,
    )
    return make_envelope(
        data, source=SOURCE, time=now, id=derived_event_id("case.rated", app.bundle_id)
    )


def _rectification_opened(app: BundleApplication, now: datetime) -> Envelope:
    rect = app.rectification
    assert rect is not None
    data = RectificationOpened(
        case_id=app.bundle_id,
        rectification_id=rect.rectification_id,
        rating_level=rect.rating_level,
        department=rect.department,
        item_code=app.bundle_code,
        region=app.region,
        opened_at=now,
        due_at=rect.due_at,
        due_provisional=rect.due_provisional,
        limit=rect.limit,
    )
    return make_envelope(
        data, source=SOURCE, time=now, id=derived_event_id("rectification.opened", app.bundle_id)
    )


async def answer_bundle_rectification(
    deps: Deps, rectification_id: str, *, answer: str, principal: Principal
) -> dict[str, Any]:
    app = await deps.bundles.find_application_by_rectification(rectification_id)
    if app is None or app.rectification is None:
        raise NotFound(f"unknown rectification {rectification_id!r}")
    if principal.department != app.rectification.department:
        raise Forbidden(
            f"rectification {rectification_id} belongs to department {app.rectification.department}"
        )
    now = deps.clock.now()
    closed = rules.close_bundle_rectification(app, officer=principal.subject, answer=answer, at=now)
    data = RectificationClosed(
        case_id=app.bundle_id,
        rectification_id=rectification_id,
        department=app.lead_department,
        officer=principal.subject,
        answer=answer,
        closed_at=now,
    )
    event = make_envelope(
        data, source=SOURCE, time=now, id=derived_event_id("rectification.closed", app.bundle_id)
    )
    closed, checkpoints = linked_bundle(deps, closed, actor=principal.subject)
    written = await deps.bundles.update_application(
        closed,
        fields=(*CHAINED, "rectification"),
        while_unset="rectification.closed_at",
        events=[event, *checkpoints],
    )
    if not written:
        raise Conflict(f"rectification {rectification_id} was already answered")
    deps.wake()
    RECTIFICATIONS.labels(app.lead_department, "closed").inc()
    assert closed.rectification is not None
    due = closed.rectification.due_at
    return {
        "rectification_id": rectification_id,
        "bundle_id": app.bundle_id,
        "closed_at": now.isoformat(),
        "due_at": due.isoformat(),
        "on_time": now <= due,
    }


async def invite_finished_bundles(deps: Deps) -> int:
    """``case.rating_invited`` once for each finished bundle left unrated long enough (the
    delay and batch of a case's invitation), with case_id = bundle_id = the bundle id: the
    applicant is invited to rate the bundle once, never each of its items."""
    now = deps.clock.now()
    after = timedelta(days=deps.settings.rating_invite_after_days)
    apps = await deps.bundles.finished_uninvited(
        closed_before=now - after, limit=deps.settings.rating_invite_batch
    )
    invited = 0
    for app in apps:
        if not rules.due_for_invitation(app, now=now, after=after):
            continue
        data = RatingInvited(case_id=app.bundle_id, invited_at=now, bundle_id=app.bundle_id)
        event = make_envelope(
            data,
            source=SOURCE,
            time=now,
            id=derived_event_id("case.rating_invited", app.bundle_id),
        )
        if await deps.bundles.mark_invited(app.bundle_id, at=now, events=[event]):
            invited += 1
    if invited:
        deps.wake()
        RATING_INVITATIONS.inc(invited)
    return invited


async def recompute_bundle_rectifications(deps: Deps) -> int:
    """After a holiday schedule is published: each open bundle rectification with a provisional
    due counted again from its opening (the rule of a case's, ``ratings.recounted``);
    ``deadline.changed`` (case_id = the bundle id) where it moved. Returns how many moved."""
    return await jobs.each(
        await deps.bundles.rectifications_to_recompute(deps.calendar.version),
        lambda bundle_id: _recount(deps, bundle_id),
        what="recounting the bundle's rectification deadline",
    )


async def _recount(deps: Deps, bundle_id: str) -> bool:
    app = await deps.bundles.get_application(bundle_id)
    if app is None:
        return False
    now = deps.clock.now()
    rect, change = recounted(
        app.rectification,
        owner_id=app.bundle_id,
        region=app.region,
        calendar=deps.calendar,
        at=now,
    )
    if rect is app.rectification:
        return False
    events = []
    if change is not None:
        key = derived_event_id(str(change.rectification_id), "deadline", change.calendar_version)
        events.append(make_envelope(change, source=SOURCE, time=now, id=key))
    written = await deps.bundles.update_application(
        app.model_copy(update={"rectification": rect}),
        fields=("rectification",),
        while_unset="rectification.closed_at",
        events=events,
    )
    return written and change is not None
