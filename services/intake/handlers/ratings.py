"""Ratings (好差评), rectifications and rating invitations."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from services.intake.domain import CaseRecord, Conflict, Forbidden, NotFound
from services.intake.domain import ratings as rules
from services.intake.domain.bundle_case import is_bundle_id
from services.intake.domain.bundle_rating import refuse_item_rating
from services.intake.handlers.access import open_case
from services.intake.handlers.audit import SYSTEM, applicant_actor
from services.intake.handlers.bundle_rating import (
    answer_bundle_rectification,
    recompute_bundle_rectifications,
)
from services.intake.handlers.deps import SOURCE, Deps
from services.intake.handlers.tracking import update_case
from services.intake.metrics import RATING_INVITATIONS, RATINGS, RECTIFICATIONS
from shared import jobs
from shared.auth import Principal
from shared.calendar import Limit
from shared.contracts import (
    CaseRated,
    DeadlineChanged,
    Envelope,
    RatingInvited,
    RatingLevel,
    RectificationClosed,
    RectificationOpened,
    derived_event_id,
    make_envelope,
)
from shared.errors import StaleVersion

log = logging.getLogger(__name__)

ANSWER_ROLES = ("handler", "department_head")


def rectification_id_for(case_id: str) -> str:
    return f"RECT-{case_id}"


async def rate_case(
    deps: Deps,
    case_id: str,
    *,
    level: RatingLevel,
    scores: dict[str, int],
    comment: str | None,
    code: str | None,
    principal: Principal | None,
) -> dict[str, Any]:
    case = await open_case(deps, case_id, code=code, principal=principal)
    refuse_item_rating(case)
    now = deps.clock.now()
    limit = Limit(value=deps.settings.rectification_days)
    rating_id = f"RATE-{case_id}"

    def change(c: CaseRecord) -> CaseRecord:
        rated = rules.rate(
            c, rating_id=rating_id, level=level, scores=scores, comment=comment, at=now
        )
        if rules.needs_rectification(level):
            due_at = deps.calendar.deadline(now, limit)
            rated = rules.open_rectification(
                rated,
                rectification_id=rectification_id_for(case_id),
                at=now,
                due_at=due_at,
                limit=limit,
                due_provisional=deps.calendar.is_provisional(limit, now, due_at),
                due_calendar=deps.calendar.version,
            )
        return rated

    def events(c: CaseRecord) -> list[Envelope]:
        out = [_case_rated(c, now)]
        if c.rectification is not None:
            out.append(_rectification_opened(c, level, limit, now))
        return out

    try:
        updated = await update_case(deps, case_id, change, events, actor=applicant_actor(principal))
    except StaleVersion as exc:  # a concurrent rating won
        raise Conflict(f"case {case_id} was rated meanwhile; each case is rated once") from exc
    assert updated is not None
    deps.wake()
    RATINGS.labels(updated.department, level.value).inc()
    if updated.rectification is not None:
        RECTIFICATIONS.labels(updated.department, "opened").inc()
    return _rating_answer(updated, rating_id, level)


def _case_rated(c: CaseRecord, now: datetime) -> Envelope:
    """The event of the rating ``c`` was just given."""
    assert c.rating is not None
    rated = CaseRated(
        case_id=c.case_id,
        rating_id=c.rating.rating_id,
        level=c.rating.level,
        scores=c.rating.scores,
        comment=c.rating.comment,
        department=c.department,
        item_code=c.item_code,
        region=c.handling_region,
        rated_at=now,
    )
    return make_envelope(
        rated, source=SOURCE, time=now, id=derived_event_id("case.rated", c.case_id)
    )


def _rectification_opened(
    c: CaseRecord, level: RatingLevel, limit: Limit, now: datetime
) -> Envelope:
    """The event of the rectification a bad rating opened on ``c``."""
    assert c.rectification is not None
    opened = RectificationOpened(
        case_id=c.case_id,
        rectification_id=c.rectification.rectification_id,
        rating_level=level,
        department=c.department,
        item_code=c.item_code,
        region=c.handling_region,
        opened_at=now,
        due_at=c.rectification.due_at,
        due_provisional=c.rectification.due_provisional,
        limit=limit,
    )
    return make_envelope(
        opened, source=SOURCE, time=now, id=derived_event_id("rectification.opened", c.case_id)
    )


def _rating_answer(updated: CaseRecord, rating_id: str, level: RatingLevel) -> dict[str, Any]:
    response: dict[str, Any] = {
        "case_id": updated.case_id,
        "rating_id": rating_id,
        "level": level.value,
    }
    if updated.rectification is not None:
        response["rectification"] = {
            "rectification_id": updated.rectification.rectification_id,
            "due_at": updated.rectification.due_at.isoformat(),
            "due_provisional": updated.rectification.due_provisional,
        }
    return response


async def answer_rectification(
    deps: Deps, rectification_id: str, *, answer: str, principal: Principal
) -> dict[str, Any]:
    case = await deps.store.find_case_by_rectification(rectification_id)
    if case is None and is_bundle_id(rectification_id.removeprefix("RECT-")):
        return await answer_bundle_rectification(
            deps, rectification_id, answer=answer, principal=principal
        )
    if case is None or case.rectification is None:
        raise NotFound(f"unknown rectification {rectification_id!r}")
    if principal.department != case.rectification.department:
        raise Forbidden(
            f"rectification {rectification_id} belongs to department "
            f"{case.rectification.department}"
        )
    now = deps.clock.now()

    def events(c: CaseRecord) -> list[Envelope]:
        closed = RectificationClosed(
            case_id=c.case_id,
            rectification_id=rectification_id,
            department=c.department,
            officer=principal.subject,
            answer=answer,
            closed_at=now,
        )
        return [
            make_envelope(
                closed,
                source=SOURCE,
                time=now,
                id=derived_event_id("rectification.closed", c.case_id),
            )
        ]

    try:
        updated = await update_case(
            deps,
            case.case_id,
            lambda c: rules.close_rectification(
                c, officer=principal.subject, answer=answer, at=now
            ),
            events,
            actor=principal.subject,
        )
    except StaleVersion as exc:
        raise Conflict(f"rectification {rectification_id} changed meanwhile; retry") from exc
    assert updated is not None and updated.rectification is not None
    deps.wake()
    RECTIFICATIONS.labels(updated.department, "closed").inc()
    return {
        "rectification_id": rectification_id,
        "case_id": updated.case_id,
        "closed_at": now.isoformat(),
        "due_at": updated.rectification.due_at.isoformat(),
        "on_time": now <= updated.rectification.due_at,
    }


async def invite_unrated_cases(deps: Deps) -> int:
    """Publish RatingInvited once for every decided case left unrated long enough."""
    now = deps.clock.now()
    after = timedelta(days=deps.settings.rating_invite_after_days)
    cases = await deps.store.decided_unrated(
        decided_before=now - after, limit=deps.settings.rating_invite_batch
    )
    invited = 0
    for case in cases:
        if not rules.due_for_invitation(case, now=now, after=after):
            continue

        def events(c: CaseRecord) -> list[Envelope]:
            data = RatingInvited(case_id=c.case_id, invited_at=now)
            return [
                make_envelope(
                    data,
                    source=SOURCE,
                    time=now,
                    id=derived_event_id("case.rating_invited", c.case_id),
                )
            ]

        try:
            updated = await update_case(
                deps, case.case_id, lambda c: _invite_if_due(c, now, after), events, actor=SYSTEM
            )
        except StaleVersion:
            continue  # picked up by the next sweep
        if updated is not None and updated.invited_at == now:
            invited += 1
    if invited:
        deps.wake()
        RATING_INVITATIONS.inc(invited)
    return invited


def _invite_if_due(case: CaseRecord, now: Any, after: timedelta) -> CaseRecord:
    return (
        rules.invite(case, at=now) if rules.due_for_invitation(case, now=now, after=after) else case
    )


async def recompute_rectification_deadlines(deps: Deps) -> int:
    """After a holiday schedule is published: each open rectification with a provisional due
    counted again from its opening and limit, a case's and a bundle's; ``deadline.changed``
    where it moved."""
    moved = await jobs.each(
        await deps.store.rectifications_to_recompute(deps.calendar.version),
        lambda case_id: _recompute_rectification(deps, case_id),
        what="recounting the rectification deadline",
    )
    moved += await recompute_bundle_rectifications(deps)
    if moved:
        deps.wake()
        log.info("calendar %s: %d rectification deadlines moved", deps.calendar.version, moved)
    return moved


async def _recompute_rectification(deps: Deps, case_id: str) -> bool:
    now = deps.clock.now()
    changes: list[DeadlineChanged] = []

    def change(c: CaseRecord) -> CaseRecord:
        recomputed, event = rules.recompute_rectification(c, calendar=deps.calendar, at=now)
        changes[:] = [event] if event is not None else []
        return recomputed

    def events(_: CaseRecord) -> list[Envelope]:
        return [
            make_envelope(
                e,
                source=SOURCE,
                time=now,
                id=derived_event_id(str(e.rectification_id), "deadline", e.calendar_version),
            )
            for e in changes
        ]

    await update_case(deps, case_id, change, events, actor=SYSTEM)
    return bool(changes)
