"""Prometheus metrics of the notify service (bounded labels: channel, template, outcome)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

DELIVERIES = Counter(
    "egov_notify_deliveries_total",
    "Delivery outcomes: delivered, failed, deferred (quiet hours), rate_limited, duplicate",
    ["channel", "template", "outcome"],
)
DELIVERY_LATENCY = Histogram(
    "egov_notify_delivery_latency_seconds",
    "Seconds from the source event's time to the delivery reaching its channel",
    ["channel"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600, 43200),
)
RETRIES = Counter(
    "egov_notify_retries_total", "Failed attempts scheduled for another try", ["channel"]
)
