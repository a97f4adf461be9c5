"""Prometheus metrics of the credit service (bounded labels: never subject or record ids)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

RECORDS = Counter(
    "egov_credit_records_total",
    "Credit records created from incidents",
    ["subject_kind", "severity", "source"],
)
LEVEL_CHANGES = Counter(
    "egov_credit_level_changes_total", "Subjects whose credit level changed", ["from", "to"]
)
LIST_CHANGES = Counter(
    "egov_credit_list_changes_total",
    "Subjects entering or leaving the red or black list",
    ["list", "change"],
)
OBJECTIONS = Counter("egov_credit_objections_total", "Objections filed and decided", ["outcome"])
OBJECTIONS_OPEN = Gauge("egov_credit_objections_open", "Objections waiting for a decision")
REPAIRS = Counter("egov_credit_repairs_total", "Repair applications by outcome", ["outcome"])
INCIDENTS_REJECTED = Counter(
    "egov_credit_incidents_rejected_total",
    "Incidents dead-lettered because they can never become a record",
    ["subject_kind"],
)
