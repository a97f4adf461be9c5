"""Rule-model boundaries of docs/credit.md ("Levels and lists") that the defaults never reach and
the mutation run left unpinned (docs/mutation/services-credit-domain.md): every number is a
setting, so the rules must hold for other settings too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.credit.domain import (
    CreditRecord,
    RepairTooEarly,
    RuleModel,
    Status,
    add_months,
    earliest_repair,
    evaluate,
    is_public,
    is_subject_of,
    level_for,
    level_rank,
    new_record,
    publicity_until,
    weight,
)
from shared.contracts import Severity, SubjectKind
from tests.unit.credit.credit_fakes import START

ENTITY_X = "91500000000007077X"  # shape only: is_subject_of compares, it does not validate
RULES = RuleModel()


def _record(occurred_at: datetime, severity: Severity, rules: RuleModel = RULES) -> CreditRecord:
    return new_record(
        record_id="CR-1",
        origin_key="t|1",
        subject_id="500103199005170126",
        subject_kind=SubjectKind.PERSON,
        subject_name=None,
        record_type="late_filing",
        severity=severity,
        source_system="t",
        evidence=[],
        description=None,
        case_id=None,
        region="500000",
        occurred_at=occurred_at,
        now=occurred_at,
        rules=rules,
    )


def test_the_score_is_rounded_to_six_decimals() -> None:
    """One general record 10 days old: 100 - 5 x 0.5^(10/30) = 96.03149737..., kept as
    96.031497 (not 96 nor 96.0314974)."""
    standing = evaluate([_record(START - timedelta(days=10), Severity.GENERAL)], START, RULES)
    assert standing.score == 96.031497


def test_a_record_exactly_as_old_as_the_clean_period_no_longer_keeps_a_subject_off_the_red_list() -> (
    None
):
    """Red list: no record in effect that occurred *within* the last 12 months. With a general
    record public for 24 months (so still in effect, nearly weightless: level A), one that
    occurred exactly 12 months ago is not within them; a second later it is."""
    rules = RuleModel(
        publicity_months={Severity.GENERAL: 24, Severity.SERIOUS: 24, Severity.VERY_SERIOUS: 36}
    )
    twelve_months_ago = add_months(START, -12)
    at_edge = _record(twelve_months_ago, Severity.GENERAL, rules)
    assert weight(at_edge, START, rules) > 0
    standing = evaluate([at_edge], START, rules)
    assert (standing.level, standing.red_list) == ("A", True)
    inside = _record(twelve_months_ago + timedelta(seconds=1), Severity.GENERAL, rules)
    assert evaluate([inside], START, rules).red_list is False


def test_levels_follow_their_floors_whatever_order_the_setting_lists_them_in() -> None:
    rules = RuleModel(level_floors={"C": 60.0, "A": 90.0, "B": 75.0})
    assert [level_for(s, rules) for s in (95, 90, 80, 75, 65, 59.9)] == [
        "A",
        "A",
        "B",
        "B",
        "C",
        "D",
    ]
    # names not in alphabetical order of their floors
    named = RuleModel(level_floors={"gold": 90.0, "bronze": 60.0, "silver": 75.0})
    assert [level_for(s, named) for s in (95, 80, 65)] == ["gold", "silver", "bronze"]


def test_level_rank_orders_the_levels_best_first_and_an_unknown_level_last() -> None:
    assert [level_rank(level) for level in ("A", "B", "C", "D", "X")] == [0, 1, 2, 3, 4]


def test_a_half_life_of_zero_means_no_decay_and_a_short_one_still_halves() -> None:
    occurred = START - timedelta(days=1)
    no_decay = RuleModel(half_life_days={s: 0.0 for s in Severity})
    assert weight(_record(occurred, Severity.GENERAL, no_decay), START, no_decay) == 1.0
    half_day = RuleModel(half_life_days={s: 0.5 for s in Severity})
    assert weight(_record(occurred, Severity.GENERAL, half_day), START, half_day) == 0.25
    one_day = RuleModel(half_life_days={s: 1.0 for s in Severity})
    assert weight(_record(occurred, Severity.GENERAL, one_day), START, one_day) == 0.5


def test_publicity_and_repair_months_are_counted_on_the_shanghai_calendar() -> None:
    """28 February 17:00 UTC is 1 March 01:00 in Shanghai: a month later is 1 April 01:00
    there (31 March 17:00 UTC), not 28 March as the UTC calendar would give; so are the earliest
    repair and the date the too-early refusal names."""
    occurred = datetime(2026, 2, 28, 17, 0, tzinfo=UTC)
    one_month = RuleModel(publicity_months={s: 1 for s in Severity})
    expected = datetime(2026, 3, 31, 17, 0, tzinfo=UTC)
    assert publicity_until(occurred, Severity.GENERAL, one_month) == expected
    record = _record(occurred, Severity.GENERAL)
    assert earliest_repair(record, RULES) == expected  # general: 1 month minimum
    with pytest.raises(RepairTooEarly) as refused:
        record.apply_for_repair(
            actor="p", rectification="r", evidence=[], at=occurred, earliest=expected
        )
    assert refused.value.earliest == expected
    assert str(refused.value) == (
        "repair is possible from 2026-04-01 01:00 (Asia/Shanghai), when the minimum publicity "
        "period for this severity ends"
    )


def test_a_record_is_public_until_its_publicity_period_ends_and_not_at_that_instant() -> None:
    record = _record(START, Severity.GENERAL)
    assert is_public(record, record.publicity_until - timedelta(microseconds=1))
    assert not is_public(record, record.publicity_until)
    assert not is_public(record.model_copy(update={"status": Status.REPAIRED}), START)


def test_the_subject_of_a_code_ending_in_x_is_recognised_whatever_case_the_token_has() -> None:
    assert is_subject_of(ENTITY_X, ENTITY_X.lower(), {"applicant"}, None)
    assert is_subject_of(ENTITY_X, ENTITY_X, {"applicant"}, None)
