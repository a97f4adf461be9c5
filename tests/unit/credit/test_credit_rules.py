"""The rule model: levels, lists and decay, with hypothesis properties."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from services.credit.domain import (
    CreditRecord,
    RuleModel,
    Status,
    add_months,
    earliest_repair,
    evaluate,
    level_rank,
    new_record,
    publicity_until,
)
from shared.contracts import Severity, SubjectKind

RULES = RuleModel()
T0 = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
PERSON = "500103199005170126"


def record(n: int, severity: Severity, days_ago: float, as_of: datetime = T0) -> CreditRecord:
    occurred = as_of - timedelta(days=days_ago)
    return new_record(
        record_id=f"CR-{n}",
        origin_key=f"test|{n}",
        subject_id=PERSON,
        subject_kind=SubjectKind.PERSON,
        subject_name=None,
        record_type="false_commitment",
        severity=severity,
        source_system="test",
        evidence=[],
        description=None,
        case_id=None,
        region="500000",
        occurred_at=occurred,
        now=occurred,
        rules=RULES,
    )


def test_no_records_is_level_a_and_red_listed() -> None:
    standing = evaluate([], T0, RULES)
    assert (standing.level, standing.red_list, standing.black_list) == ("A", True, False)


def test_one_general_record_keeps_a_but_leaves_the_red_list() -> None:
    standing = evaluate([record(1, Severity.GENERAL, 0)], T0, RULES)
    assert standing.level == "A" and not standing.red_list and not standing.black_list


def test_one_serious_record_gives_b() -> None:
    assert evaluate([record(1, Severity.SERIOUS, 0)], T0, RULES).level == "B"


def test_very_serious_record_black_lists_until_its_publicity_ends() -> None:
    r = record(1, Severity.VERY_SERIOUS, 0)
    assert evaluate([r], T0, RULES).black_list
    assert evaluate([r], r.publicity_until - timedelta(seconds=1), RULES).black_list
    after = evaluate([r], r.publicity_until, RULES)
    assert not after.black_list and after.level == "A"


def test_many_serious_records_give_d_and_black_list_by_score() -> None:
    standing = evaluate([record(i, Severity.SERIOUS, 0) for i in range(4)], T0, RULES)
    assert standing.level == "D" and standing.black_list


def test_decay_restores_the_level_over_time() -> None:
    records = [record(i, Severity.SERIOUS, 0) for i in range(2)]  # 70 -> C
    assert evaluate(records, T0, RULES).level == "C"
    assert evaluate(records, T0 + timedelta(days=180), RULES).level == "B"  # one half-life
    assert evaluate(records, add_months(T0, 12), RULES).level == "A"  # publicity over


def test_revoked_and_repaired_records_do_not_count() -> None:
    r = record(1, Severity.VERY_SERIOUS, 0)
    for status in (Status.REVOKED, Status.REPAIRED):
        standing = evaluate([r.model_copy(update={"status": status})], T0, RULES)
        assert standing.level == "A" and not standing.black_list


def test_red_list_needs_a_clean_period() -> None:
    r = record(1, Severity.GENERAL, 0)
    assert not evaluate([r], T0, RULES).red_list
    assert evaluate([r], add_months(T0, 12) + timedelta(days=1), RULES).red_list


def test_the_black_list_starts_below_50_not_at_it() -> None:
    at_50 = [record(i, Severity.SERIOUS, 0) for i in range(3)] + [record(3, Severity.GENERAL, 0)]
    standing = evaluate(at_50, T0, RULES)
    assert (standing.score, standing.level, standing.black_list) == (50.0, "D", False)
    below = evaluate([*at_50, record(4, Severity.GENERAL, 0)], T0, RULES)
    assert (below.score, below.black_list) == (45.0, True)


def test_the_red_list_needs_twelve_months_without_a_record_in_effect() -> None:
    # A general record kept public for two years, so it is still in effect around the
    # twelve-month mark (its weight has long decayed: the subject is level A throughout).
    rules = RuleModel(
        publicity_months={Severity.GENERAL: 24, Severity.SERIOUS: 24, Severity.VERY_SERIOUS: 36}
    )
    occurred = datetime(2025, 3, 2, 2, 0, tzinfo=UTC)
    r = record(1, Severity.GENERAL, 0, as_of=occurred)
    r = r.model_copy(update={"publicity_until": publicity_until(occurred, r.severity, rules)})
    twelve_months = add_months(occurred, 12)
    before = evaluate([r], twelve_months - timedelta(days=1), rules)
    assert before.level == "A" and not before.black_list and not before.red_list
    after = evaluate([r], twelve_months + timedelta(days=1), rules)
    assert after.level == "A" and after.red_list


def test_a_black_listed_subject_is_never_on_the_red_list() -> None:
    """A very serious record 13 months old: outside the clean period, still in effect (36
    months of publicity), so black-listed; where the floors make that level A, the black list
    still keeps the subject off the red list."""
    lenient = RuleModel(level_floors={"A": 80.0, "B": 70.0, "C": 60.0})
    as_of = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    r = record(1, Severity.VERY_SERIOUS, 0, as_of=add_months(as_of, -13))
    standing = evaluate([r], as_of, lenient)
    assert standing.level == "A" and standing.black_list and not standing.red_list
    repaired = evaluate([r.model_copy(update={"status": Status.REPAIRED})], as_of, lenient)
    assert repaired.red_list and not repaired.black_list


def test_configurable_thresholds() -> None:
    strict = RuleModel(level_floors={"A": 99.0, "B": 90.0, "C": 80.0})
    assert evaluate([record(1, Severity.GENERAL, 0)], T0, strict).level == "B"


def test_earliest_repair_by_severity() -> None:
    assert earliest_repair(record(1, Severity.GENERAL, 0), RULES) == add_months(T0, 1)
    assert earliest_repair(record(1, Severity.SERIOUS, 0), RULES) == add_months(T0, 3)
    assert earliest_repair(record(1, Severity.VERY_SERIOUS, 0), RULES) == add_months(T0, 12)


def test_add_months_clamps_to_month_end() -> None:
    assert add_months(datetime(2026, 1, 31, tzinfo=UTC), 1) == datetime(2026, 2, 28, tzinfo=UTC)
    assert add_months(datetime(2026, 3, 31, tzinfo=UTC), -1) == datetime(2026, 2, 28, tzinfo=UTC)


# -- properties -------------------------------------------------------------------------------

severities = st.sampled_from(list(Severity))
statuses = st.sampled_from(list(Status))
record_specs = st.lists(
    st.tuples(severities, st.floats(min_value=0, max_value=2000), statuses), max_size=12
)


def build(specs: list[tuple[Severity, float, Status]]) -> list[CreditRecord]:
    return [
        record(i, sev, days).model_copy(update={"status": status})
        for i, (sev, days, status) in enumerate(specs)
    ]


@settings(max_examples=200, deadline=None)
@given(record_specs, severities, st.floats(min_value=0, max_value=2000))
def test_adding_an_active_record_never_improves_standing(
    specs: list[tuple[Severity, float, Status]], severity: Severity, days_ago: float
) -> None:
    records = build(specs)
    before = evaluate(records, T0, RULES)
    after = evaluate([*records, record(999, severity, days_ago)], T0, RULES)
    assert level_rank(after.level) >= level_rank(before.level)
    assert after.score <= before.score
    assert not (after.red_list and not before.red_list)
    assert not (before.black_list and not after.black_list)


@settings(max_examples=200, deadline=None)
@given(record_specs, st.data(), st.sampled_from([Status.REPAIRED, Status.REVOKED]))
def test_repairing_or_revoking_never_worsens_standing(
    specs: list[tuple[Severity, float, Status]], data: st.DataObject, final: Status
) -> None:
    records = build(specs)
    if not records:
        return
    i = data.draw(st.integers(min_value=0, max_value=len(records) - 1))
    changed = [*records[:i], records[i].model_copy(update={"status": final}), *records[i + 1 :]]
    before, after = evaluate(records, T0, RULES), evaluate(changed, T0, RULES)
    assert level_rank(after.level) <= level_rank(before.level)
    assert after.score >= before.score
    assert not (after.black_list and not before.black_list)


@settings(max_examples=200, deadline=None)
@given(
    record_specs,
    st.floats(min_value=0, max_value=3000),
    st.floats(min_value=0, max_value=3000),
)
def test_decay_is_monotonic_in_time(
    specs: list[tuple[Severity, float, Status]], later_a: float, later_b: float
) -> None:
    records = build(specs)
    t1 = T0 + timedelta(days=min(later_a, later_b))
    t2 = T0 + timedelta(days=max(later_a, later_b))
    s1, s2 = evaluate(records, t1, RULES), evaluate(records, t2, RULES)
    assert s2.score >= s1.score
    assert level_rank(s2.level) <= level_rank(s1.level)
    assert not (s2.black_list and not s1.black_list)


def test_publicity_months_count_on_the_shanghai_calendar() -> None:
    # 2026-01-31 17:00 UTC is already 1 February in Chongqing: three months end on 1 May.
    occurred = datetime(2026, 1, 31, 17, 0, tzinfo=UTC)
    until = publicity_until(occurred, Severity.GENERAL, RULES)
    assert until == datetime(2026, 4, 30, 17, 0, tzinfo=UTC)


def test_no_department_decides_on_its_own_record() -> None:
    from types import SimpleNamespace

    from services.credit.handlers import credit_department
    from services.credit.settings import CreditSettings

    deps = SimpleNamespace(
        departments={"500000-FGW", "510100-FGW", "500000-SFJ"}, settings=CreditSettings()
    )

    def record(subject: str, region: str, source: str = "court") -> SimpleNamespace:
        return SimpleNamespace(subject_id=subject, region=region, source_system=source)

    assert credit_department(deps, record("91500000MA5U000000", "500103")) == "500000-FGW"  # type: ignore[arg-type]
    assert credit_department(deps, record("91510100MA5U000000", "510104")) == "510100-FGW"  # type: ignore[arg-type]
    # The Chengdu credit department's own record goes to the next one up (here the default);
    # Chongqing's, with none above, to the referee, as does a record it reported itself.
    assert credit_department(deps, record("510100-FGW", "510100")) == "500000-FGW"  # type: ignore[arg-type]
    assert credit_department(deps, record("500000-FGW", "500000")) == "500000-SFJ"  # type: ignore[arg-type]
    assert (
        credit_department(deps, record("91500000MA5U000000", "500000", "500000-FGW"))
        == "500000-SFJ"
    )  # type: ignore[arg-type]
