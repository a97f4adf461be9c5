"""Prometheus metrics of the monitor. Labels are bounded: department, item code, region, rung,
kind; never case or stage ids."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

LABELS = ["department", "item_code", "region"]

OPEN_STAGES = Gauge(
    "egov_monitor_open_stages", "Open stages on this worker by light", [*LABELS, "light"]
)
WARNED = Counter("egov_monitor_warned_total", "Stages that turned yellow", LABELS)
OVERDUE = Counter("egov_monitor_overdue_total", "Stages that turned red", LABELS)
ESCALATED = Counter(
    "egov_monitor_escalated_total", "Rungs of the escalation ladder reached", [*LABELS, "rung"]
)
FINDINGS = Counter("egov_monitor_findings_total", "Supervision findings", [*LABELS, "kind"])
CLOSED = Counter(
    "egov_monitor_stages_closed_total", "Stages closed, by on-time outcome", [*LABELS, "on_time"]
)
ON_TIME_RATIO = Gauge(
    "egov_monitor_on_time_ratio", "Share of closed stages closed by their due time", LABELS
)
HANDLING_DAYS = Histogram(
    "egov_monitor_handling_working_days",
    "Working days from opening to closing a stage",
    LABELS,
    buckets=(0.25, 0.5, 1, 2, 3, 5, 10, 15, 20, 30, 60),
)
RECTIFICATIONS_OPEN = Gauge(
    "egov_monitor_rectifications_open", "Open rectifications on this worker", LABELS
)
RECTIFICATIONS_OVERDUE = Gauge(
    "egov_monitor_rectifications_overdue", "Open rectifications past due on this worker", LABELS
)
OPEN_STAGES_PROVISIONAL = Gauge(
    "egov_monitor_open_stages_provisional",
    "Open stages on this worker whose deadline reaches a year without a published holiday "
    "schedule (recomputed when it is published)",
    LABELS,
)
CALENDAR_DAYS_LEFT = Gauge(
    "egov_monitor_calendar_coverage_days_left",
    "Days until the holiday calendar runs out (publish next year's schedule before 0)",
)
CONSUMER_LAG = Gauge(
    "egov_monitor_consumer_lag_messages", "Messages not yet processed", ["topic", "partition"]
)
TIMER_DELAY = Histogram(
    "egov_monitor_timer_delay_seconds",
    "Simulated seconds from a transition's due time to its firing",
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600),
)
TIMERS_SCHEDULED = Gauge(
    "egov_monitor_timers_scheduled", "Stages with a pending timer on this worker"
)
