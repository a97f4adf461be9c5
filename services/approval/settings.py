"""Settings of the approval service (environment prefix EGOV_)."""

from __future__ import annotations

from pydantic import Field

from shared.objectstore import ObjectStoreSettings
from shared.settings import ServiceSettings


class ApprovalSettings(ServiceSettings, ObjectStoreSettings):
    service_name: str = "approval"
    http_port: int = 8002

    consumer_group: str = Field("egov-approval", description="Kafka group of the case consumer")
    prereview_working_days: int = Field(2, ge=1, description="pre-review (预审) limit")
    prereview_role: str = "handler"
    verification_working_days: int = Field(
        20, ge=1, description="limit of the commitment verification (核查) task"
    )
    verification_role: str = "handler"
    credit_review_working_days: int = Field(
        2,
        ge=1,
        description="limit of the credit review stage (信用加强审查) of watched applicants",
    )
    credit_review_role: str = "reviewer"
    suspension_max_working_days: dict[str, int] = Field(
        default_factory=lambda: {
            "hearing": 20,
            "expert_review": 30,
            "testing": 30,
            "onsite_survey": 10,
        },
        description="default maximum length of each special procedure (特别程序), working days",
    )
    supplement_max_working_days: int = Field(
        20, ge=1, le=120, description="the applicant's time to supplement (补正); then it lapses"
    )
    lapse_sweep_s: float = Field(60.0, gt=0, description="seconds between lapsed-wait checks")
    licence_item_codes: list[str] = Field(
        default_factory=list,
        description="items whose approval issues an e-licence (or CaseSubmitted.issues_licence)",
    )
    tasks_page_max: int = Field(200, ge=1, description="largest page of GET /v1/tasks")
    gauge_refresh_s: float = Field(15.0, gt=0, description="seconds between open-stage counts")
    archive_sweep_s: float = Field(
        300.0,
        gt=0,
        description="seconds between archive sweeps (seal finished cases, delete "
        "expired dossiers without a legal hold)",
    )
    download_url_ttl_s: int = Field(
        300, ge=30, le=3600, description="seconds an officer's material download URL stays valid"
    )

    def production_problems(self) -> list[str]:
        return super().production_problems() + self.object_store_problems()
