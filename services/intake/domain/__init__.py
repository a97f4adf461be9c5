"""Pure rules of the intake service: catalog, submissions, case progress, ratings."""

from services.intake.domain.assessment import Assessment, assess_submission
from services.intake.domain.case import (
    CaseRecord,
    CaseStatus,
    OpenStage,
    Rating,
    Rectification,
    TimelineEntry,
)
from services.intake.domain.catalog import ItemStatus, MaterialSpec, ServiceItem, catalog_errors
from services.intake.domain.credit import credit_refusal
from services.intake.domain.errors import (
    Conflict,
    FieldError,
    Forbidden,
    Invalid,
    NotFound,
    TooManyAttempts,
)
from services.intake.domain.submission import (
    ApplicantIn,
    Submission,
    SubmissionIn,
    format_case_number,
)

__all__ = [
    "ApplicantIn",
    "Assessment",
    "CaseRecord",
    "CaseStatus",
    "Conflict",
    "FieldError",
    "Forbidden",
    "Invalid",
    "ItemStatus",
    "MaterialSpec",
    "NotFound",
    "OpenStage",
    "Rating",
    "Rectification",
    "ServiceItem",
    "Submission",
    "SubmissionIn",
    "TimelineEntry",
    "TooManyAttempts",
    "assess_submission",
    "catalog_errors",
    "credit_refusal",
    "format_case_number",
]
