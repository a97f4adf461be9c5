"""The keyed audit timeline of a case, its checkpoints, and the work-list light rule."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from services.approval.domain import task_clock
from services.approval.handlers import AUDIT_CHAIN, audit_head, on_case_submitted
from shared.audit import AuditKeys, check_against_bus, verify
from shared.calendar import Limit, LimitUnit, load_default_calendar
from shared.calendar.timing import WarningPolicy
from shared.clock import SHANGHAI
from shared.contracts import AuditCheckpoint, Light
from tests.unit.approval.approval_fakes import (
    MONDAY_10,
    InMemoryCaseStore,
    envelope_of,
    make_deps,
    submitted,
)

CAL = load_default_calendar()
POLICY = WarningPolicy()


async def test_a_submitted_case_has_a_keyed_timeline_ending_at_its_head() -> None:
    deps = make_deps()
    data = submitted("C9")
    await on_case_submitted(deps, envelope_of(data), data)
    assert isinstance(deps.store, InMemoryCaseStore)
    timeline = await deps.store.timeline("C9")
    assert [e["action"] for e in timeline] == [
        "case_registered",
        "completeness_checked",
        "stage_opened",
    ]
    case = await deps.store.get("C9")
    assert case is not None
    keys = deps.audit_keys
    head = audit_head(case)
    assert verify(timeline, keys=keys, scope=AUDIT_CHAIN, chain_id="C9", head=head) is None
    # Keyed: under another deployment's key the same timeline does not verify.
    other = AuditKeys.from_setting("another-deployments-audit-key-of-32-characters")
    broken = verify(timeline, keys=other, scope=AUDIT_CHAIN, chain_id="C9", head=head)
    assert broken is not None and broken.seq == 1


async def test_each_move_of_the_head_publishes_a_signed_checkpoint_through_the_outbox() -> None:
    deps = make_deps()
    data = submitted("C9")
    await on_case_submitted(deps, envelope_of(data), data)
    store = deps.store
    assert isinstance(store, InMemoryCaseStore)
    case = await store.get("C9")
    assert case is not None
    [published] = [e for e in store.outbox if e.type == AuditCheckpoint.event_type]
    cp = AuditCheckpoint.model_validate(published.data)
    assert (cp.chain, cp.chain_id, cp.count, cp.head) == (
        AUDIT_CHAIN,
        "C9",
        3,
        case.audit_head,
    )
    assert published.subject == "C9" and published.causationid is not None
    assert (
        check_against_bus(await store.timeline("C9"), audit_head(case), [cp], keys=deps.audit_keys)
        is None
    )
    # A replay of the submission neither adds entries nor a second checkpoint.
    await on_case_submitted(deps, envelope_of(data), data)
    assert len([e for e in store.outbox if e.type == AuditCheckpoint.event_type]) == 1


def test_light_is_green_then_yellow_within_a_working_day_then_red() -> None:
    due = CAL.deadline(MONDAY_10, Limit(value=2))  # Wednesday 23:59:59
    assert (
        task_clock(CAL, Limit(value=2), MONDAY_10, due, since=MONDAY_10, policy=POLICY).light
        == Light.GREEN
    )
    tuesday_noon = datetime(2026, 3, 3, 12, 0, tzinfo=SHANGHAI)
    assert (
        task_clock(CAL, Limit(value=2), tuesday_noon, due, since=MONDAY_10, policy=POLICY).light
        == Light.GREEN
    )
    wednesday = datetime(2026, 3, 4, 9, 0, tzinfo=SHANGHAI)
    clock = task_clock(CAL, Limit(value=2), wednesday, due, since=MONDAY_10, policy=POLICY)
    assert clock.light == Light.YELLOW and 0.6 < (clock.working_days_left or 0) < 0.7
    late = task_clock(
        CAL, Limit(value=2), due + timedelta(hours=1), due, since=MONDAY_10, policy=POLICY
    )
    assert late.light == Light.RED and late.seconds_left < 0


def test_yellow_margin_is_twenty_percent_of_a_long_limit() -> None:
    limit = Limit(value=20)
    due = CAL.deadline(MONDAY_10, limit)
    # 20 % of 20 working days = 4 working days: yellow already with 3.5 days left.
    left_4_5 = CAL.add_working_seconds(MONDAY_10, (20 - 4.5) * 86400 + 14 * 3600)
    assert (
        task_clock(CAL, limit, left_4_5, due, since=MONDAY_10, policy=POLICY).light == Light.GREEN
    )
    left_3_5 = CAL.add_working_seconds(MONDAY_10, (20 - 3.5) * 86400 + 14 * 3600)
    assert (
        task_clock(CAL, limit, left_3_5, due, since=MONDAY_10, policy=POLICY).light == Light.YELLOW
    )


def test_a_suspended_stage_keeps_what_it_had_left() -> None:
    due = CAL.deadline(MONDAY_10, Limit(value=2))
    much_later = MONDAY_10 + timedelta(days=30)
    stopped = CAL.add_working_seconds(MONDAY_10, 14 * 3600)  # with two working days left
    frozen = task_clock(
        CAL, Limit(value=2), much_later, due, since=MONDAY_10, policy=POLICY, stopped_at=stopped
    )
    assert frozen.light == Light.GREEN and frozen.working_days_left == 2.0


def test_working_hour_limits_count_office_hours() -> None:
    limit = Limit(value=16, unit=LimitUnit.WORKING_HOURS)
    due = CAL.deadline(MONDAY_10, limit)
    clock = task_clock(CAL, limit, MONDAY_10, due, since=MONDAY_10, policy=POLICY)
    assert clock.hours_left == 16 and clock.light == Light.GREEN


def test_hour_limits_resume_with_the_office_hours_they_had_left() -> None:
    from shared.calendar.timing import advance_by, time_left

    limit = Limit(value=8, unit=LimitUnit.WORKING_HOURS)
    due = CAL.deadline(MONDAY_10, limit)  # Monday 10:00 + 8 office hours = Tuesday 11:00
    assert due == datetime(2026, 3, 3, 11, 0, tzinfo=SHANGHAI)
    noon = datetime(2026, 3, 2, 12, 0, tzinfo=SHANGHAI)
    left = time_left(limit.unit, noon, due, CAL)
    assert left == 6 * 3600  # 2 of 8 office hours spent before the suspension
    friday = datetime(2026, 3, 6, 9, 0, tzinfo=SHANGHAI)
    assert advance_by(limit.unit, friday, left, CAL) == datetime(
        2026, 3, 6, 16, 30, tzinfo=SHANGHAI
    )


def test_a_task_due_in_a_provisional_year_has_a_light_and_says_provisional() -> None:
    from datetime import datetime

    from services.approval.handlers import task_view
    from shared.clock import SHANGHAI

    row = {
        "_id": "C1:review",
        "state": "open",
        "limit": {"value": 20, "unit": "working_days"},
        "due_at": datetime(2027, 1, 29, 23, 59, 59, tzinfo=SHANGHAI),
        "due_provisional": True,
        "due_calendar": CAL.version,
        "remaining_s": None,
        "suspended_at": None,
        "suspension_max": None,
    }
    now = datetime(2026, 12, 30, 10, 0, tzinfo=SHANGHAI)
    view = task_view(row, calendar=CAL, now=now, policy=POLICY)
    assert view["light"] == "green"
    assert view["due_provisional"] is True
    assert "due_calendar" not in view and "calendar_gap" not in view
    # 2027 provisional: Dec 31, then Jan 4-8, 11-15, 18-22, 25-29 = 21 working days
    assert view["working_days_left"] == pytest.approx(21 + 14 / 24, abs=1e-3)


def test_a_task_due_beyond_the_provisional_horizon_is_listed_without_a_light() -> None:
    from datetime import datetime

    from services.approval.handlers import task_view
    from shared.clock import SHANGHAI

    row = {
        "_id": "C1:review",
        "state": "open",
        "limit": {"value": 20, "unit": "working_days"},
        "due_at": datetime(2028, 1, 28, 23, 59, 59, tzinfo=SHANGHAI),
        "remaining_s": None,
        "suspended_at": None,
        "suspension_max": None,
    }
    now = datetime(2027, 12, 30, 10, 0, tzinfo=SHANGHAI)
    view = task_view(row, calendar=CAL, now=now, policy=POLICY)
    assert view["light"] is None
    assert view["calendar_gap"] == 2028
    assert view["stage_id"] == "C1:review"
