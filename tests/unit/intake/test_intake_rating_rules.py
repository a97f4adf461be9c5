"""Ratings after the decision (docs/intake.md, "Ratings"): an invitation once the decision is
old enough, a bad rating's rectification answered once, and a provisional rectification
deadline counted again when the next year's schedule is published (only then, and said once).
The rules run on a case submitted through the service's own API (the real bootstrap on
fakes)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from services.intake.domain import CaseRecord, Conflict
from services.intake.domain.case import CaseStatus
from services.intake.domain.ratings import (
    close_rectification,
    due_for_invitation,
    invite,
    open_rectification,
    rate,
    recompute_rectification,
)
from shared.calendar import Limit
from shared.clock import SHANGHAI
from shared.contracts.common import RatingLevel
from tests.unit.intake.test_intake_progress_rules import submitted_case

DECIDED_AT = datetime(2026, 12, 20, 10, tzinfo=SHANGHAI)
OLD_DUE = datetime(2027, 1, 5, 23, 59, 59, tzinfo=SHANGHAI)
NEW_DUE = datetime(2027, 1, 6, 23, 59, 59, tzinfo=SHANGHAI)
WEEK = timedelta(days=7)


class Published:
    """The calendar once 2027's schedule is out (version v2): counts to ``due``."""

    version = "v2"

    def __init__(self, due: datetime, provisional: bool = False) -> None:
        self.due, self.provisional = due, provisional

    def deadline(self, start: datetime, limit: Limit) -> datetime:
        return self.due

    def is_provisional(self, limit: Limit, start: datetime, due: datetime) -> bool:
        return self.provisional

    def superseded(self, version: str | None) -> bool:
        return version != self.version


async def decided_case() -> CaseRecord:
    case = await submitted_case()
    return case.model_copy(update={"status": CaseStatus.DECIDED, "decided_at": DECIDED_AT})


async def rectifying(*, provisional: bool = True, counted_on: str | None = "v1") -> CaseRecord:
    case = rate(
        await decided_case(),
        rating_id="r1",
        level=RatingLevel.DISSATISFIED,
        scores={},
        comment="太慢",
        at=DECIDED_AT + timedelta(days=1),
    )
    return open_rectification(
        case,
        rectification_id="rect-1",
        at=DECIDED_AT + timedelta(days=1),
        due_at=OLD_DUE,
        limit=Limit(value=5),
        due_provisional=provisional,
        due_calendar=counted_on,
    )


async def test_a_decided_unrated_case_is_invited_once_exactly_when_old_enough() -> None:
    case = await decided_case()
    assert due_for_invitation(case, now=DECIDED_AT + WEEK, after=WEEK)
    assert not due_for_invitation(case, now=DECIDED_AT + WEEK - timedelta(seconds=1), after=WEEK)
    later = DECIDED_AT + 2 * WEEK
    invited = invite(case, at=later)
    entry = invited.timeline[-1]
    assert (entry.kind, entry.text, invited.invited_at) == (
        "rating_invited",
        "邀请您对本次办事进行评价",
        later,
    )
    assert not due_for_invitation(invited, now=later, after=WEEK)
    rated = rate(
        case, rating_id="r", level=RatingLevel.SATISFIED, scores={}, comment=None, at=later
    )
    assert not due_for_invitation(rated, now=later, after=WEEK)
    in_progress = case.model_copy(update={"status": CaseStatus.IN_PROGRESS})
    assert not due_for_invitation(in_progress, now=later, after=WEEK)
    undated = case.model_copy(update={"decided_at": None})
    assert not due_for_invitation(undated, now=later, after=WEEK)


async def test_a_rectification_is_answered_once_with_the_officer_and_the_answer() -> None:
    case = await rectifying()
    at = DECIDED_AT + timedelta(days=3)
    answered = close_rectification(case, officer="scj-head-1", answer="已整改", at=at)
    rect = answered.rectification
    assert rect is not None
    assert (rect.closed_at, rect.officer, rect.answer) == (at, "scj-head-1", "已整改")
    entry = answered.timeline[-1]
    assert (entry.kind, entry.text) == ("rectification_answered", "部门整改答复：已整改")
    with pytest.raises(Conflict, match="^rectification rect-1 was already answered$"):
        close_rectification(answered, officer="o", answer="again", at=at)
    with pytest.raises(Conflict, match=f"^case {case.case_id} has no rectification$"):
        close_rectification(await decided_case(), officer="o", answer="a", at=at)


async def test_a_provisional_rectification_is_counted_again_on_the_published_year() -> None:
    case = await rectifying()
    at = DECIDED_AT + timedelta(days=5)
    updated, event = recompute_rectification(case, calendar=Published(NEW_DUE), at=at)
    rect = updated.rectification
    assert rect is not None
    assert (rect.due_at, rect.due_provisional, rect.due_calendar) == (NEW_DUE, False, "v2")
    assert event is not None
    assert (event.rectification_id, event.old_due_at, event.new_due_at, event.kind) == (
        "rect-1",
        OLD_DUE,
        NEW_DUE,
        "rectification",
    )
    assert (event.due_provisional, event.calendar_version, event.changed_at) == (False, "v2", at)
    # counted on v2 already: nothing more to do
    assert recompute_rectification(updated, calendar=Published(NEW_DUE), at=at) == (updated, None)


async def test_only_an_open_provisional_rectification_of_an_older_calendar_is_recounted() -> None:
    at = DECIDED_AT + timedelta(days=5)
    for case in (
        await decided_case(),  # none
        await rectifying(provisional=False),  # a confirmed deadline
        await rectifying(counted_on="v2"),  # counted on this calendar already
        close_rectification(await rectifying(), officer="o", answer="a", at=at),  # answered
    ):
        assert recompute_rectification(case, calendar=Published(NEW_DUE), at=at) == (case, None)


async def test_a_recount_that_changes_only_the_date_or_only_the_flag_is_announced() -> None:
    at = DECIDED_AT + timedelta(days=5)
    case = await rectifying()
    same, quiet = recompute_rectification(case, calendar=Published(OLD_DUE, True), at=at)
    assert quiet is None and same.rectification is not None
    assert same.rectification.due_calendar == "v2"  # recorded as counted, nothing to say
    _, confirmed = recompute_rectification(case, calendar=Published(OLD_DUE, False), at=at)
    assert confirmed is not None and confirmed.new_due_at == OLD_DUE
    _, moved = recompute_rectification(case, calendar=Published(NEW_DUE, True), at=at)
    assert moved is not None and moved.due_provisional is True
