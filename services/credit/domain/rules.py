"""The credit rule model: records + an instant -> score -> level and list membership.

Every number is configuration (:class:`RuleModel`, filled from the service settings). The
score starts at ``base_score``; each record in effect subtracts its severity's penalty times a
decay weight that halves every ``half_life_days`` and drops to zero when the record's publicity
period (公示期) ends. Repaired and revoked records weigh nothing.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field

from services.credit.domain.records import EFFECTIVE, CreditRecord
from shared.clock import SHANGHAI
from shared.contracts.common import Severity

LEVELS = ("A", "B", "C", "D")


def _per_severity(general: float, serious: float, very_serious: float) -> dict[Severity, float]:
    return {
        Severity.GENERAL: general,
        Severity.SERIOUS: serious,
        Severity.VERY_SERIOUS: very_serious,
    }


class RuleModel(BaseModel):
    model_config = ConfigDict(frozen=True)

    base_score: float = 100.0
    penalty: dict[Severity, float] = Field(default_factory=lambda: _per_severity(5, 15, 40))
    half_life_days: dict[Severity, float] = Field(
        default_factory=lambda: _per_severity(30, 180, 365)
    )
    publicity_months: dict[Severity, int] = Field(
        default_factory=lambda: {
            Severity.GENERAL: 3,
            Severity.SERIOUS: 12,
            Severity.VERY_SERIOUS: 36,
        },
        description="公示期: how long a record is public and counts at all",
    )
    min_publicity_months: dict[Severity, int] = Field(
        default_factory=lambda: {
            Severity.GENERAL: 1,
            Severity.SERIOUS: 3,
            Severity.VERY_SERIOUS: 12,
        },
        description="最短公示期: the earliest a record can be repaired (信用修复)",
    )
    level_floors: dict[str, float] = Field(
        default_factory=lambda: {"A": 90.0, "B": 75.0, "C": 60.0},
        description="lowest score of each level; below the last one: D",
    )
    red_list_clean_months: int = Field(
        12, description="red list: level A and no record in effect that occurred this recently"
    )
    black_list_below: float = Field(50.0, description="black list when the score is below this")


class Standing(BaseModel):
    model_config = ConfigDict(frozen=True)

    score: float
    level: str
    red_list: bool
    black_list: bool


def add_months(at: datetime, months: int) -> datetime:
    """Same day ``months`` later (clamped to the month's last day), same time of day."""
    index = at.month - 1 + months
    year, month = at.year + index // 12, index % 12 + 1
    day = min(at.day, calendar.monthrange(year, month)[1])
    return at.replace(year=year, month=month, day=day)


def publicity_until(occurred_at: datetime, severity: Severity, rules: RuleModel) -> datetime:
    # Months are counted on the local (Asia/Shanghai) calendar, where the publicity is kept.
    return add_months(occurred_at.astimezone(SHANGHAI), rules.publicity_months[severity])


def earliest_repair(record: CreditRecord, rules: RuleModel) -> datetime:
    local = record.occurred_at.astimezone(SHANGHAI)
    return add_months(local, rules.min_publicity_months[record.severity])


def weight(record: CreditRecord, as_of: datetime, rules: RuleModel) -> float:
    """How much of its penalty a record still carries at ``as_of`` (1 when new, then less)."""
    if record.status not in EFFECTIVE or as_of >= record.publicity_until:
        return 0.0
    age_days = max((as_of - record.occurred_at) / timedelta(days=1), 0.0)
    half_life = rules.half_life_days[record.severity]
    return float(0.5 ** (age_days / half_life)) if half_life > 0 else 1.0


def level_for(score: float, rules: RuleModel) -> str:
    for level, floor in sorted(rules.level_floors.items(), key=lambda kv: -kv[1]):
        if score >= floor:
            return level
    return LEVELS[-1]


def evaluate(records: Iterable[CreditRecord], as_of: datetime, rules: RuleModel) -> Standing:
    records = list(records)
    score = rules.base_score - sum(
        rules.penalty[r.severity] * weight(r, as_of, rules) for r in records
    )
    score = round(score, 6)
    level = level_for(score, rules)
    in_effect = [r for r in records if weight(r, as_of, rules) > 0]
    black = score < rules.black_list_below or any(
        r.severity == Severity.VERY_SERIOUS for r in in_effect
    )
    clean_since = add_months(as_of, -rules.red_list_clean_months)
    recent = any(r.occurred_at > clean_since for r in in_effect)
    red = level == LEVELS[0] and not recent and not black
    return Standing(score=score, level=level, red_list=red, black_list=black)


def level_rank(level: str) -> int:
    """0 for the best level; larger is worse."""
    return LEVELS.index(level) if level in LEVELS else len(LEVELS)
