"""Settings of the intake service (environment prefix EGOV_)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from shared.settings import ServiceSettings

DEFAULT_CATALOG_DIR = str(Path(__file__).parent / "catalog")


class IntakeSettings(ServiceSettings):
    service_name: str = "intake"
    http_port: int = 8001

    consumer_group: str = Field("egov-intake", description="Kafka consumer group of intake")
    catalog_dir: str = Field(DEFAULT_CATALOG_DIR, description="YAML catalog loaded at start-up")
    item_cache_s: float = Field(5.0, description="seconds a catalog item is cached per process")
    max_material_bytes: int = Field(50 * 1024 * 1024, description="bytes per uploaded material")
    idempotency_ttl_hours: int = Field(24, description="how long an Idempotency-Key is remembered")
    code_max_failures: int = Field(
        5, ge=1, description="wrong verification codes per case number before attempts pause"
    )
    code_failure_window_s: int = Field(
        900, ge=1, description="seconds over which wrong verification codes are counted"
    )

    credit_url: str = Field("http://127.0.0.1:8005", description="credit service base URL")
    credit_timeout_s: float = Field(0.8, description="seconds to wait for the credit service")
    credit_default_allows: bool = Field(
        True,
        description="when the credit service does not answer: True lets commitments and "
        "accept-with-gaps through (check recorded as skipped), False refuses them",
    )
    elicence_check: bool = Field(True, description="verify e-licence refs in the licence registry")

    rectification_days: int = Field(5, ge=1, description="working days to answer a bad rating")
    rating_invite_after_days: float = Field(
        3.0, description="natural days after the decision before an unrated case is invited"
    )
    rating_invite_interval_s: float = Field(60.0, description="seconds between invitation sweeps")
    rating_invite_batch: int = 200
