"""Every event the platform exchanges: one frozen pydantic model per versioned type.

Within a version changes are additive only; a breaking change is a new ``.v2`` type.

One module per part of the platform (topics, cases, stages, calendar, supervision,
credit, notifications, licences, audit); every name is imported from here.
"""

from __future__ import annotations

from shared.contracts.events.audit import AuditCheckpoint
from shared.contracts.events.calendar import CalendarPublished
from shared.contracts.events.cases import (
    BundleSubmissionReceived,
    CaseArchived,
    CaseRated,
    CaseSubmissionReceived,
    CaseSubmitted,
    CaseSupplemented,
    RatingInvited,
    RectificationClosed,
    RectificationOpened,
)
from shared.contracts.events.credit import CreditChanged, CreditIncident
from shared.contracts.events.licences import LicenceIssued, LicenceRevoked
from shared.contracts.events.notifications import NotificationDelivered, NotificationFailed
from shared.contracts.events.notifications import _NotificationOutcome as _NotificationOutcome
from shared.contracts.events.stages import (
    RECOMPUTED_ON_PUBLICATION,
    CaseDecided,
    DeadlineChanged,
    PreReviewDone,
    StageClosed,
    StageOpened,
    StageResumed,
    StageSignedIn,
    StageSuspended,
)
from shared.contracts.events.supervision import (
    StageOverdue,
    StageWarned,
    SupervisionEscalated,
    SupervisionFinding,
)
from shared.contracts.events.supervision import _StageAlert as _StageAlert
from shared.contracts.events.topics import PROVISIONAL_DESCRIPTION as PROVISIONAL_DESCRIPTION
from shared.contracts.events.topics import (
    T_AUDIT_CHECKPOINTS,
    T_CALENDAR,
    T_CASES,
    T_CREDIT_CHANGES,
    T_CREDIT_INCIDENTS,
    T_INTAKE_IN,
    T_LICENCES,
    T_NOTIFICATIONS,
    T_STAGES,
    T_SUPERVISION,
)

__all__ = [
    "RECOMPUTED_ON_PUBLICATION",
    "AuditCheckpoint",
    "CalendarPublished",
    "CaseArchived",
    "DeadlineChanged",
    "T_CALENDAR",
    "CaseDecided",
    "CaseRated",
    "CaseSubmissionReceived",
    "BundleSubmissionReceived",
    "CaseSubmitted",
    "CaseSupplemented",
    "CreditChanged",
    "CreditIncident",
    "LicenceIssued",
    "LicenceRevoked",
    "NotificationDelivered",
    "NotificationFailed",
    "PreReviewDone",
    "RatingInvited",
    "RectificationClosed",
    "RectificationOpened",
    "StageClosed",
    "StageOpened",
    "StageOverdue",
    "StageResumed",
    "StageSignedIn",
    "StageSuspended",
    "StageWarned",
    "SupervisionEscalated",
    "SupervisionFinding",
    "T_AUDIT_CHECKPOINTS",
    "T_CASES",
    "T_CREDIT_CHANGES",
    "T_CREDIT_INCIDENTS",
    "T_INTAKE_IN",
    "T_LICENCES",
    "T_NOTIFICATIONS",
    "T_STAGES",
    "T_SUPERVISION",
]
