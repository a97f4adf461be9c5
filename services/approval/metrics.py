"""Prometheus metrics of the approval service (bounded labels: never case ids)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

ACTIONS = Counter(
    "egov_approval_actions_total",
    "Officer actions on stages, by outcome (ok, forbidden, conflict, stale, invalid, not_found)",
    ["action", "department", "outcome"],
)
STAGES_OPEN = Gauge(
    "egov_approval_stages_open", "Open or suspended tasks (sub-tasks counted)", ["department"]
)
STAGES_OPENED = Counter(
    "egov_approval_stages_opened_total", "Stages opened", ["stage", "department"]
)
STAGES_CLOSED = Counter(
    "egov_approval_stages_closed_total",
    "Stages closed, by outcome",
    ["stage", "department", "outcome"],
)
DECISIONS = Counter(
    "egov_approval_decisions_total", "Case decisions", ["decision", "department", "item_code"]
)
PREREVIEW_FINDINGS = Counter(
    "egov_approval_prereview_findings_total",
    "Cases whose automatic completeness check found problems",
    ["department"],
)
SUSPENSIONS = Counter(
    "egov_approval_suspensions_total", "Stage clock stops, by reason", ["reason", "department"]
)
CREDIT_INCIDENTS = Counter(
    "egov_approval_credit_incidents_total", "False commitments reported to credit", ["department"]
)
