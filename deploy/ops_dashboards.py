"""The Grafana dashboards, as data. `python -m deploy.gen_k8s` writes them to
deploy/k8s/base/dashboards/*.json, which Kustomize ships as ConfigMaps labelled for the Grafana
sidecar (grafana_dashboard: "1").

Every expression is checked by tests/support/verify_ops.py: it parses (promtool), each metric
name is one the services expose, and with the platform running each panel returns data. Panels whose
natural query is empty until something goes wrong (5xx, dead letters, escalations) add
``or <same series> * 0`` so they show a flat zero instead of "No data".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}


# Panels that show the current value (not a time series) query once, at the end of the range.
INSTANT_KINDS = {
    "table": "table",
    "barchart": "table",
    "bargauge": "time_series",
    "stat": "time_series",
}


def _target(expr: str, legend: str, ref: str, kind: str) -> dict[str, Any]:
    target = {"datasource": DATASOURCE, "expr": expr, "legendFormat": legend, "refId": ref}
    if kind in INSTANT_KINDS:
        target.update(instant=True, range=False, format=INSTANT_KINDS[kind])
    return target


def panel(
    pid: int,
    title: str,
    kind: str,
    targets: list[tuple[str, str]],
    *,
    x: int,
    y: int,
    w: int = 12,
    h: int = 8,
    unit: str = "short",
    description: str = "",
    thresholds: list[tuple[str, float | None]] | None = None,
) -> dict[str, Any]:
    steps = [{"color": color, "value": value} for color, value in (thresholds or [("green", None)])]
    return {
        "id": pid,
        "type": kind,
        "title": title,
        "description": description,
        "datasource": DATASOURCE,
        "gridPos": {"x": x, "y": y, "w": w, "h": h},
        "fieldConfig": {
            "defaults": {"unit": unit, "thresholds": {"mode": "absolute", "steps": steps}},
            "overrides": [],
        },
        "options": {"legend": {"displayMode": "table", "placement": "right"}}
        if kind == "timeseries"
        else {},
        "targets": [
            _target(expr, legend, chr(ord("A") + i), kind)
            for i, (expr, legend) in enumerate(targets)
        ],
    }


# Template variables, and the concrete values the checks substitute for them.
VARIABLE_DEFAULTS = {"$department": ".*", "$region": ".*"}


def label_variable(name: str, label: str, metric: str) -> dict[str, Any]:
    return {
        "name": name,
        "label": label,
        "type": "query",
        "datasource": DATASOURCE,
        "query": {"query": f"label_values({metric}, {name})", "refId": f"{name}-values"},
        "definition": f"label_values({metric}, {name})",
        "includeAll": True,
        "allValue": ".*",
        "multi": True,
        "current": {"text": "All", "value": "$__all"},
        "refresh": 2,
        "hide": 0,
    }


def concrete(expr: str) -> str:
    """The expression with template variables replaced by the values "All" stands for."""
    for variable, value in VARIABLE_DEFAULTS.items():
        expr = expr.replace(variable, value)
    return expr


def dashboard(
    uid: str,
    title: str,
    tags: list[str],
    panels: list[dict[str, Any]],
    variables: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    return {
        "uid": uid,
        "title": title,
        "tags": ["egov", *tags],
        "timezone": "Asia/Shanghai",
        "schemaVersion": 39,
        "version": 1,
        "editable": False,
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "templating": {
            "list": [
                {
                    "name": "datasource",
                    "label": "Prometheus",
                    "type": "datasource",
                    "query": "prometheus",
                    "current": {},
                    "hide": 0,
                },
                *variables,
            ]
        },
        "annotations": {"list": []},
        "panels": panels,
    }


# ------------------------------------------------------------------ supervision (电子监察)
SUPERVISION = dashboard(
    "egov-supervision",
    "egov / Electronic supervision",
    ["supervision"],
    [
        panel(
            1,
            "Open stages by light, department and region",
            "table",
            [
                (
                    "sum by (department, region, light) (egov_monitor_open_stages"
                    '{department=~"$department", region=~"$region"})',
                    "{{department}} {{region}} {{light}}",
                )
            ],
            x=0,
            y=0,
            w=24,
            h=10,
            description="Stages still running, by traffic light (green / yellow / red).",
        ),
        panel(
            2,
            "Red lights by department",
            "bargauge",
            [
                (
                    "sum by (department) (egov_monitor_open_stages"
                    '{light="red", department=~"$department", region=~"$region"})',
                    "{{department}}",
                )
            ],
            x=0,
            y=10,
            thresholds=[("green", None), ("red", 1)],
        ),
        panel(
            3,
            "Stages going overdue per hour",
            "timeseries",
            [
                (
                    "sum by (department) (increase(egov_monitor_overdue_total[1h]))",
                    "{{department}}",
                )
            ],
            x=12,
            y=10,
            description="Alert EgovStagesGoingOverdueFast fires above 10 per hour for 15 minutes.",
        ),
        panel(
            4,
            "Escalations by rung (24 h)",
            "barchart",
            [
                (
                    "sum by (rung) (increase(egov_monitor_escalated_total[1d]))"
                    " or sum by (rung) (egov_monitor_escalated_total) * 0",
                    "rung {{rung}}",
                )
            ],
            x=0,
            y=18,
            description="1 handler, 2 section chief, 3 department head, 4 discipline inspection.",
        ),
        panel(
            5,
            "Supervision findings (24 h)",
            "table",
            [
                (
                    "sum by (department, kind) (increase(egov_monitor_findings_total[1d]))"
                    " or sum by (department, kind) (egov_monitor_findings_total) * 0",
                    "{{department}} {{kind}}",
                )
            ],
            x=12,
            y=18,
        ),
        panel(
            6,
            "On-time rate of closed stages (24 h)",
            "stat",
            [
                (
                    "sum by (department) (increase("
                    'egov_monitor_stages_closed_total{on_time="true"}[1d]))'
                    " / sum by (department) (increase(egov_monitor_stages_closed_total[1d]))",
                    "{{department}}",
                )
            ],
            x=0,
            y=26,
            unit="percentunit",
            thresholds=[("red", None), ("yellow", 0.9), ("green", 0.98)],
        ),
        panel(
            7,
            "Applicant satisfaction rate (7 d)",
            "stat",
            [
                (
                    "sum by (department) (increase(egov_intake_ratings_total{level=~"
                    '"very_satisfied|satisfied|basically_satisfied"}[7d]))'
                    " / sum by (department) (increase(egov_intake_ratings_total[7d]))",
                    "{{department}}",
                )
            ],
            x=12,
            y=26,
            unit="percentunit",
            description="Share of ratings (好差评) at least basically satisfied.",
            thresholds=[("red", None), ("yellow", 0.9), ("green", 0.97)],
        ),
        panel(
            8,
            "Decisions by department and outcome (24 h)",
            "table",
            [
                (
                    "sum by (department, decision) (increase(egov_approval_decisions_total[1d]))",
                    "{{department}} {{decision}}",
                )
            ],
            x=0,
            y=34,
            w=24,
        ),
    ],
    variables=[
        label_variable("department", "Department", "egov_monitor_open_stages"),
        label_variable("region", "Region", "egov_monitor_open_stages"),
    ],
)

# ------------------------------------------------------------------ platform health
HEALTH = dashboard(
    "egov-platform-health",
    "egov / Platform health",
    ["platform"],
    [
        panel(
            1,
            "Services up",
            "stat",
            [('up{job=~"egov-.+"}', "{{job}} {{instance}}")],
            x=0,
            y=0,
            w=24,
            h=4,
            thresholds=[("red", None), ("green", 1)],
        ),
        panel(
            2,
            "Events consumed per second",
            "timeseries",
            [("sum by (service) (rate(egov_events_consumed_total[5m]))", "{{service}}")],
            x=0,
            y=4,
            unit="ops",
        ),
        panel(
            3,
            "Events published per second",
            "timeseries",
            [("sum by (service) (rate(egov_events_produced_total[5m]))", "{{service}}")],
            x=12,
            y=4,
            unit="ops",
        ),
        panel(
            4,
            "Consumer lag (messages)",
            "timeseries",
            [
                (
                    "sum by (job, topic) (egov_consumer_lag_messages"
                    " or egov_monitor_consumer_lag_messages)",
                    "{{job}} {{topic}}",
                )
            ],
            x=0,
            y=12,
            description="Alert EgovConsumerLagHigh fires above 1000 for 10 minutes.",
        ),
        panel(
            5,
            "Outbox backlog",
            "timeseries",
            [("sum by (service) (egov_outbox_pending)", "{{service}}")],
            x=12,
            y=12,
        ),
        panel(
            6,
            "HTTP 5xx per second",
            "timeseries",
            [
                (
                    'sum by (service) (rate(egov_http_requests_total{status=~"5.."}[5m]))'
                    " or sum by (service) (rate(egov_http_requests_total[5m])) * 0",
                    "{{service}}",
                )
            ],
            x=0,
            y=20,
            unit="reqps",
        ),
        panel(
            7,
            "Handler failures per second (each retry counts)",
            "timeseries",
            [
                (
                    "sum by (service) (rate(egov_events_failed_total[5m]))"
                    " or sum by (service) (rate(egov_events_consumed_total[5m])) * 0",
                    "{{service}}",
                )
            ],
            x=12,
            y=20,
            unit="ops",
        ),
        panel(
            8,
            "Dead letters (1 h) by service and reason",
            "timeseries",
            [
                (
                    "sum by (service, reason) (increase(egov_events_dead_lettered_total[1h]))"
                    " or sum by (service) (increase(egov_events_consumed_total[1h])) * 0",
                    "{{service}} {{reason}}",
                )
            ],
            x=0,
            y=28,
        ),
        panel(
            9,
            "HTTP latency p95",
            "timeseries",
            [
                (
                    "histogram_quantile(0.95, sum by (le, service)"
                    " (rate(egov_http_request_duration_seconds_bucket[5m])))",
                    "{{service}}",
                )
            ],
            x=12,
            y=28,
            unit="s",
        ),
        panel(
            10,
            "Event handler latency p95",
            "timeseries",
            [
                (
                    "histogram_quantile(0.95, sum by (le, service)"
                    " (rate(egov_handler_latency_seconds_bucket[5m])))",
                    "{{service}}",
                )
            ],
            x=0,
            y=36,
            unit="s",
        ),
        panel(
            11,
            "Timer delay and calendar coverage",
            "stat",
            [
                (
                    "histogram_quantile(0.99, sum by (le, job)"
                    " (rate(egov_monitor_timer_delay_seconds_bucket[10m])))",
                    "timer delay p99 (s) {{job}}",
                ),
                (
                    "min by (job) (egov_monitor_calendar_coverage_days_left)",
                    "calendar days left {{job}}",
                ),
            ],
            x=12,
            y=36,
        ),
        panel(
            12,
            "Case submissions per minute by channel and outcome",
            "timeseries",
            [
                (
                    "sum by (channel, outcome) (rate(egov_intake_submissions_total[5m])) * 60",
                    "{{channel}} {{outcome}}",
                )
            ],
            x=0,
            y=44,
        ),
        panel(
            13,
            "Notifications per minute by channel and outcome",
            "timeseries",
            [
                (
                    "sum by (channel, outcome) (rate(egov_notify_deliveries_total[5m])) * 60",
                    "{{channel}} {{outcome}}",
                )
            ],
            x=12,
            y=44,
            description="delivered, failed, deferred (quiet hours), rate_limited, duplicate",
        ),
    ],
)

# ------------------------------------------------------------------ assessment (绩效考核)
# Rates over the facts the history's feed folds (egov_history_facts_total, by department and
# region only). The bulletin (GET /v1/assessment) is the assessment of record, over a period's
# rollups; these are the same indicators over the last 30 days, to watch them move. A rate
# with nothing to divide by shows 0 (``or on() vector(0)``) rather than "No data".
WINDOW = "30d"
SATISFIED = "rating_(very_satisfied|satisfied|basically_satisfied)"


def facts(fact: str) -> str:
    return (
        f'egov_history_facts_total{{department=~"$department", region=~"$region", fact=~"{fact}"}}'
    )


def fact_rate(by: str, num: str, den: str, window: str = WINDOW, scale: str = "") -> str:
    """sum(num) / sum(den) over the window, by ``by``; units with nothing in ``den`` left out."""
    return (
        f"{scale}sum by ({by}) (increase({facts(num)}[{window}]))"
        f" / (sum by ({by}) (increase({facts(den)}[{window}])) > 0)"
        " or on() vector(0)"
    )


RATE_THRESHOLDS = [("red", None), ("yellow", 0.9), ("green", 0.98)]
ASSESSMENT = dashboard(
    "egov-assessment",
    "egov / Assessment (绩效考核)",
    ["assessment", "supervision"],
    [
        panel(
            1,
            "Cases submitted, accepted and decided per hour",
            "timeseries",
            [
                (
                    f"sum by (fact) (increase({facts('submitted|accepted|decided')}[1h]))",
                    "{{fact}}",
                )
            ],
            x=0,
            y=0,
            w=24,
            description="As folded into the supervision history (受理, 办结).",
        ),
        panel(
            2,
            "On-time rates by department (30 d)",
            "table",
            [
                (fact_rate("department", "stage_on_time", "stage_closed"), "stage {{department}}"),
                (
                    fact_rate("department", "promised_on_time", "promised_closed"),
                    "promised {{department}}",
                ),
                (
                    fact_rate("department", "statutory_on_time", "statutory_closed"),
                    "statutory {{department}}",
                ),
            ],
            x=0,
            y=8,
            unit="percentunit",
            thresholds=RATE_THRESHOLDS,
            description="环节按时办结率 / 承诺时限内办结率 / 法定时限内办结率: clocks closed by "
            "their deadline / closed.",
        ),
        panel(
            3,
            "Satisfaction rate by department (30 d)",
            "bargauge",
            [(fact_rate("department", SATISFIED, "ratings"), "{{department}}")],
            x=12,
            y=8,
            unit="percentunit",
            thresholds=[("red", None), ("yellow", 0.95), ("green", 0.99)],
            description="好差评满意率: 非常满意, 满意 and 基本满意 / all ratings.",
        ),
        panel(
            4,
            "Rectifications answered on time by department (30 d)",
            "bargauge",
            [(fact_rate("department", "rect_on_time", "rect_closed"), "{{department}}")],
            x=0,
            y=16,
            unit="percentunit",
            thresholds=RATE_THRESHOLDS,
            description="差评按时整改率: rectifications answered by their due date / answered.",
        ),
        panel(
            5,
            "Cards and credit incidents by department (30 d)",
            "barchart",
            [
                (
                    "sum by (department, fact) (increase("
                    f"{facts('card_yellow|card_red|credit_incidents')}[{WINDOW}]))"
                    f" or sum by (department) ({facts('submitted')}) * 0",
                    "{{department}} {{fact}}",
                )
            ],
            x=12,
            y=16,
            description="黄牌, 红牌 (督办 rungs 2 and up) and government-credit incidents "
            "(rung 4).",
        ),
        panel(
            6,
            "Digital take-up by region (30 d)",
            "bargauge",
            [(fact_rate("region", "channel_(web|app)", "submitted"), "{{region}}")],
            x=0,
            y=24,
            unit="percentunit",
            description="Cases submitted on the web or the app / all submitted (service "
            "standard; the same as the public statistics).",
        ),
        panel(
            7,
            "Completion rate by region (30 d)",
            "bargauge",
            [(fact_rate("region", "decision_(approved|denied)", "decided"), "{{region}}")],
            x=12,
            y=24,
            unit="percentunit",
            description="Cases approved or denied / all decided (lapsed, refused, pre-review "
            "failed and revoked are not completions).",
        ),
        panel(
            8,
            "Stages turned red per 100 closed, by department (1 d)",
            "timeseries",
            [
                (
                    fact_rate("department", "stage_overdue", "stage_closed", "1d", "100 * "),
                    "{{department}}",
                )
            ],
            x=0,
            y=32,
            w=24,
            description="每百件超期: handling stages that went red per 100 closed, a day's window.",
        ),
    ],
    [
        label_variable("department", "Department", "egov_history_facts_total"),
        label_variable("region", "Region", "egov_history_facts_total"),
    ],
)

DASHBOARDS: dict[str, dict[str, Any]] = {
    SUPERVISION["uid"]: SUPERVISION,
    HEALTH["uid"]: HEALTH,
    ASSESSMENT["uid"]: ASSESSMENT,
}


def expressions() -> list[tuple[str, str, str]]:
    """(dashboard uid, panel title, expr) for every target of every panel, with the template
    variables replaced by what "All" means (as Prometheus receives them from Grafana)."""
    return [
        (uid, p["title"], concrete(t["expr"]))
        for uid, board in DASHBOARDS.items()
        for p in board["panels"]
        for t in p["targets"]
    ]
