"""Settings of the intake service (environment prefix EGOV_)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, field_validator

from shared.objectstore import ObjectStoreSettings
from shared.roles import Assurance
from shared.settings import ServiceSettings

DEFAULT_CATALOG_DIR = str(Path(__file__).parent / "catalog")


class IntakeSettings(ServiceSettings, ObjectStoreSettings):
    service_name: str = "intake"
    http_port: int = 8001

    consumer_group: str = Field("egov-intake", description="Kafka consumer group of intake")
    catalog_dir: str = Field(DEFAULT_CATALOG_DIR, description="YAML catalog loaded at start-up")
    item_cache_s: float = Field(5.0, description="seconds a catalog item is cached per process")
    max_material_bytes: int = Field(50 * 1024 * 1024, description="bytes per uploaded material")
    upload_slot_ttl_s: int = Field(
        900, ge=60, le=3600, description="seconds a pre-signed upload URL (PUT) stays valid"
    )
    upload_unreferenced_ttl_hours: int = Field(
        72, ge=1, description="hours an upload no case refers to is kept, then expires"
    )
    upload_expiry_interval_s: float = Field(
        300.0, gt=0, description="seconds between sweeps deleting expired unreferenced uploads"
    )
    licence_document_interval_s: float = Field(
        30.0, gt=0, description="seconds between sweeps storing the e-licence PDFs still owed"
    )
    declared_upload_hashes: bool | None = Field(
        None,
        description="accept an upload material as a declared sha256 and size without a "
        "verified upload (the old form); unset: yes except with EGOV_ENVIRONMENT=prod",
    )
    idempotency_ttl_hours: int = Field(24, description="how long an Idempotency-Key is remembered")
    code_max_failures: int = Field(
        5, ge=1, description="wrong verification codes per case number before attempts pause"
    )
    code_failure_window_s: int = Field(
        900, ge=1, description="seconds over which wrong verification codes are counted"
    )

    applicant_min_assurance: Assurance = Field(
        Assurance.REAL_PERSON,
        description="identity assurance an applicant's or agent's token needs to submit: "
        "real_person (实人, default), real_name (实名) or basic",
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

    @field_validator("applicant_min_assurance", mode="before")
    @classmethod
    def _assurance_name(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip().isdigit():
            try:
                return Assurance[value.strip().upper()]
            except KeyError:
                names = ", ".join(a.name.lower() for a in Assurance)
                raise ValueError(f"one of {names}") from None
        return value

    def production_problems(self) -> list[str]:
        problems = super().production_problems() + self.object_store_problems()
        if self.declared_upload_hashes:
            problems.append(
                "EGOV_DECLARED_UPLOAD_HASHES: a declared hash proves nothing; production takes "
                "uploads through verified upload ids only"
            )
        if self.applicant_min_assurance < Assurance.REAL_NAME:
            problems.append(
                "EGOV_APPLICANT_MIN_ASSURANCE: online government service needs at least "
                "real_name (实名) identity assurance"
            )
        return problems

    @property
    def declared_hashes_allowed(self) -> bool:
        if self.declared_upload_hashes is None:
            return self.environment != "prod"
        return self.declared_upload_hashes
