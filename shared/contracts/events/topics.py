"""The topics events travel on, and the field descriptions several events share."""

from __future__ import annotations

T_INTAKE_IN = "egov.intake.submissions"
T_CASES = "egov.cases"
T_STAGES = "egov.stages"
T_SUPERVISION = "egov.supervision"
T_CREDIT_INCIDENTS = "egov.credit.incidents"
T_CREDIT_CHANGES = "egov.credit.changes"
T_NOTIFICATIONS = "egov.notifications"
T_CALENDAR = "egov.calendar"
T_AUDIT_CHECKPOINTS = "egov.audit.checkpoints"
T_LICENCES = "egov.licences"

PROVISIONAL_DESCRIPTION = (
    "the deadline reaches into a year whose official holiday schedule is not yet published: "
    "computed from the statutory holidays only, recomputed on publication (deadline.changed)"
)
