"""Settings of the credit service (environment prefix EGOV_)."""

from __future__ import annotations

from pydantic import Field

from services.credit.domain import RuleModel
from shared.settings import ServiceSettings

_DEFAULT = RuleModel()


class CreditSettings(ServiceSettings):
    service_name: str = "credit"
    http_port: int = 8005

    consumer_group: str = Field("egov-credit", description="Kafka group of the incident consumer")
    objection_working_days: int = Field(
        10,
        ge=1,
        description="working days within which an objection (信用异议) is decided",
    )
    default_region: str = Field(
        "500000", description="region of a person/entity record whose incident names none"
    )
    default_credit_department: str = Field(
        "500000-FGW", description="department deciding objections when the region has none"
    )
    objection_referee_department: str = Field(
        "500000-SFJ",
        description="decides objections and repairs of the default credit department's own "
        "records (no department decides on itself)",
    )
    max_future_skew_s: float = Field(
        86400, description="an incident that claims to occur later than now + this is rejected"
    )
    concurrency_retries: int = Field(
        30, ge=1, description="attempts when another change to the same subject won the race"
    )
    reevaluate_every_s: float = Field(
        3600, gt=0, description="seconds between sweeps publishing level changes caused by decay"
    )
    gauge_refresh_s: float = Field(15.0, gt=0, description="seconds between open-objection counts")

    # The rule model (see docs/credit.md); keys of the per-severity maps are severities.
    rule_base_score: float = _DEFAULT.base_score
    rule_penalty: dict[str, float] = Field(
        default_factory=lambda: {k.value: v for k, v in _DEFAULT.penalty.items()}
    )
    rule_half_life_days: dict[str, float] = Field(
        default_factory=lambda: {k.value: v for k, v in _DEFAULT.half_life_days.items()}
    )
    rule_publicity_months: dict[str, int] = Field(
        default_factory=lambda: {k.value: v for k, v in _DEFAULT.publicity_months.items()}
    )
    rule_min_publicity_months: dict[str, int] = Field(
        default_factory=lambda: {k.value: v for k, v in _DEFAULT.min_publicity_months.items()}
    )
    rule_level_floors: dict[str, float] = Field(default_factory=lambda: dict(_DEFAULT.level_floors))
    rule_red_list_clean_months: int = _DEFAULT.red_list_clean_months
    rule_black_list_below: float = _DEFAULT.black_list_below

    def rules(self) -> RuleModel:
        return RuleModel.model_validate(
            {
                "base_score": self.rule_base_score,
                "penalty": self.rule_penalty,
                "half_life_days": self.rule_half_life_days,
                "publicity_months": self.rule_publicity_months,
                "min_publicity_months": self.rule_min_publicity_months,
                "level_floors": self.rule_level_floors,
                "red_list_clean_months": self.rule_red_list_clean_months,
                "black_list_below": self.rule_black_list_below,
            }
        )
