"""Settings of the monitor service (environment prefix EGOV_)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from services.monitor.domain import (
    DEFAULT_LADDER,
    DEFAULT_STAGE_LADDERS,
    FindingPolicy,
    LadderPolicy,
    Rung,
)
from shared.settings import ServiceSettings


class MonitorSettings(ServiceSettings):
    service_name: str = "monitor"
    http_port: int = 8003

    monitor_app_id: str = Field(
        "egov-monitor", description="faust app id: consumer group and changelog topic prefix"
    )
    monitor_store: Literal["rocksdb", "memory"] = Field(
        "rocksdb",
        description="where the tables live: rocksdb (on disk under the data directory; a "
        "restarted worker reads its own state and only the changelog's tail) or memory (the "
        "whole changelog replayed at every start); docs/monitor.md, table store",
    )
    monitor_state_max_age_s: float = Field(
        12 * 3600.0,
        gt=0,
        description="a local RocksDB copy untouched for longer is discarded and its partition "
        "recovered from the changelog; keep it below the changelog topics' delete.retention.ms "
        "(Kafka's default: 1 day), after which deletions are no longer in the changelog",
    )
    monitor_data_dir: str | None = Field(
        None,
        description="faust's data directory (the RocksDB tables, table metadata); on a volume "
        "of its own per worker to keep state across restarts; default a fresh temporary "
        "directory per process, removed at a clean exit (never another run's state)",
    )
    monitor_offset_reset: str = Field(
        "earliest", description="where a new consumer group starts: earliest or latest"
    )
    monitor_worker_id: str | None = Field(None, description="shown in logs; default host:pid")
    monitor_timer_max_sleep_s: float = Field(
        0.5, description="real seconds the timer loop sleeps at most before looking again"
    )
    monitor_board_refresh_s: float = Field(
        10.0, description="real seconds between refreshes of the colour gauges and lag gauge"
    )
    monitor_session_timeout_s: float = Field(
        10.0, description="group session timeout: a dead worker's partitions move after this"
    )
    monitor_handler_retries: int = Field(3, description="attempts before dead-lettering")
    monitor_standby_replicas: int = Field(
        0,
        ge=0,
        description="faust standby copies of each table partition on other workers; with the "
        "in-memory store a standby doubles memory and changelog reading and does not shorten "
        "a failover (the new owner replays the changelog anyway)",
    )
    monitor_processing_guarantee: Literal["at_least_once", "exactly_once"] = Field(
        "at_least_once",
        description="faust's processing guarantee; exactly_once (Kafka transactions) was "
        "evaluated and is not used in production: docs/monitor.md, processing guarantee",
    )

    # Escalation ladder as JSON: {"default": [rungs], "by_department": {...}, "by_item": {...}}.
    ladder_default: list[Rung] = Field(default_factory=lambda: list(DEFAULT_LADDER))
    ladder_by_department: dict[str, list[Rung]] = Field(default_factory=dict)
    ladder_by_item: dict[str, list[Rung]] = Field(default_factory=dict)
    ladder_by_stage: dict[str, list[Rung]] = Field(
        default_factory=lambda: {k: list(v) for k, v in DEFAULT_STAGE_LADDERS.items()},
        description="per kind of stage; case_promised: a broken promise escalates within the "
        "department (the statutory limit, case_statutory, climbs the default ladder)",
    )

    # The findings and 督办 register: the department answers each record within these days.
    register_answer_working_days: int = Field(5, ge=1, le=60)

    # The supervision history and the assessment (docs/assessment.md).
    assessment_model_file: str | None = Field(
        None, description="TOML assessment model; default services/monitor/history/assessment.toml"
    )
    public_statistics_cache_s: float = Field(
        300.0, gt=0, description="real seconds a public statistics answer is served from cache"
    )

    # Findings (电子监察).
    finding_prereview_working_days: int = 2
    finding_sign_in_working_hours: float = Field(4.0, description="office hours after opening")
    finding_after_the_fact_s: float = Field(
        86_400.0, description="seconds an event's claimed time may lie behind its arrival"
    )
    finding_fast_close_s: float = Field(
        60.0, description="a stage closed within this many working seconds is implausibly fast"
    )
    finding_fast_close_stages: list[str] = Field(default_factory=lambda: ["review", "decide"])

    def ladder_policy(self) -> LadderPolicy:
        return LadderPolicy(
            default=tuple(self.ladder_default),
            by_department={k: tuple(v) for k, v in self.ladder_by_department.items()},
            by_stage={k: tuple(v) for k, v in self.ladder_by_stage.items()},
            by_item={k: tuple(v) for k, v in self.ladder_by_item.items()},
        )

    def finding_policy(self) -> FindingPolicy:
        return FindingPolicy(
            prereview_working_days=self.finding_prereview_working_days,
            sign_in_working_hours=self.finding_sign_in_working_hours,
            after_the_fact_s=self.finding_after_the_fact_s,
            fast_close_s=self.finding_fast_close_s,
            fast_close_stages=tuple(self.finding_fast_close_stages),
        )
